// Simplified Chinese (zh-CN) texts of the dashboard, keyed by the English text of
// dashboard.html and of the page modules' t() and N_() calls; {name} is filled in as it is in
// English. A text missing here shows in English: tests/unit/daemon/web checks none is.
'use strict';

(function (root) {
  const zhCN = {
    "amq2api admin":
      "amq2api 管理",
    "amq2api":
      "amq2api",
    "admin":
      "管理",
    "Live":
      "实时",
    "Language":
      "语言",
    "English":
      "English",
    "Theme: auto":
      "主题：自动",
    "signed in":
      "已登录",
    "Log out":
      "退出登录",
    "Sign in":
      "登录",
    "Enter an admin API key. It is kept in this browser tab only (session storage) and sent as":
      "输入管理员 API 密钥。它只保存在当前浏览器标签页中（会话存储），每次调用时作为",
    "with each call.":
      "发送。",
    "Admin API key":
      "管理员 API 密钥",
    "Overview":
      "概览",
    "Accounts":
      "账号",
    "API keys":
      "API 密钥",
    "Statistics":
      "统计",
    "Requests":
      "请求",
    "Audit log":
      "审计日志",
    "Reload":
      "刷新",
    "Today":
      "今天",
    "(UTC, against yesterday)":
      "（UTC，与昨天对比）",
    "Accounts by state":
      "各状态的账号",
    "Right now":
      "当前",
    "Monthly quota per account":
      "各账号的月度配额",
    "Check quotas now":
      "立即检查配额",
    "As each account's last check found it (checks run on demand, after a login, and every":
      "显示各账号上次检查的结果（按需检查、登录后检查，并在设置了",
    "when that is set).":
      "时定期检查）。",
    "Search":
      "搜索",
    "ID":
      "ID",
    "Name":
      "名称",
    "Kind":
      "类型",
    "State":
      "状态",
    "Enabled":
      "已启用",
    "RPM":
      "每分钟请求",
    "Tokens":
      "Token",
    "Actions":
      "操作",
    "No accounts yet.":
      "还没有账号。",
    "Previous page":
      "上一页",
    "Next page":
      "下一页",
    "Add an account":
      "添加账号",
    "idc (Builder ID / IAM Identity Center)":
      "idc（Builder ID / IAM Identity Center）",
    "social (Kiro)":
      "social（Kiro）",
    "Refresh token":
      "刷新令牌",
    "Client ID":
      "客户端 ID",
    "Client secret":
      "客户端密钥",
    "Profile ARN":
      "Profile ARN",
    "(optional)":
      "（可选）",
    "Requests per minute":
      "每分钟请求数",
    "Notes":
      "备注",
    "Add account":
      "添加账号",
    "Log an account in":
      "登录一个账号",
    "Sign in with":
      "登录方式",
    "AWS Builder ID / IAM Identity Center (a code to confirm)":
      "AWS Builder ID / IAM Identity Center（需确认验证码）",
    "Kiro portal (Google, GitHub, Builder ID, IdC)":
      "Kiro 门户（Google、GitHub、Builder ID、IdC）",
    "Start URL":
      "起始 URL",
    "(IAM Identity Center only)":
      "（仅 IAM Identity Center）",
    "Region":
      "区域",
    "Start":
      "开始",
    "Copy":
      "复制",
    "Open the sign-in page":
      "打开登录页面",
    "Code to confirm:":
      "待确认的验证码：",
    "Address your browser ended on":
      "浏览器最终停留的地址",
    "Finish sign-in":
      "完成登录",
    "Cancel":
      "取消",
    "Import token files":
      "导入令牌文件",
    "JSON files exported by the Amazon Q / Kiro tools; each account found is added and its token refreshed once. Each file is reported on its own: one that cannot be used does not stop the others.":
      "Amazon Q / Kiro 工具导出的 JSON 文件；找到的每个账号都会被添加，并刷新一次令牌。每个文件单独报告结果：一个文件无法使用不会影响其他文件。",
    "Token files":
      "令牌文件",
    "Upload":
      "上传",
    "New key":
      "新密钥",
    "Copy this key now: it is shown once and cannot be shown again.":
      "请立即复制此密钥：它只显示这一次，之后无法再次查看。",
    "Dismiss":
      "关闭",
    "Copied.":
      "已复制。",
    "Description":
      "描述",
    "Key":
      "密钥",
    "Admin":
      "管理员",
    "Active":
      "有效",
    "RPD":
      "每日请求",
    "Concurrent":
      "并发",
    "Models":
      "模型",
    "Expires":
      "过期时间",
    "Last used":
      "最近使用",
    "No keys.":
      "没有密钥。",
    "Create a key":
      "创建密钥",
    "Admin key (may use this dashboard and the admin API)":
      "管理员密钥（可使用此控制台和管理 API）",
    "Requests / minute":
      "请求数 / 分钟",
    "Requests / day":
      "请求数 / 天",
    "Concurrent requests":
      "并发请求数",
    "Expires in days":
      "有效天数",
    "or on (UTC date)":
      "或到期日（UTC 日期）",
    "Allowed models":
      "允许的模型",
    "(comma-separated; empty: all)":
      "（逗号分隔；留空：全部）",
    "Create key":
      "创建密钥",
    "Edit key":
      "编辑密钥",
    "Expires on":
      "到期日",
    "(UTC date; empty: never)":
      "（UTC 日期；留空：永不过期）",
    "Admin key":
      "管理员密钥",
    "Save":
      "保存",
    "Log in again":
      "重新登录",
    "Edit account":
      "编辑账号",
    "(0: no cap)":
      "（0：不限）",
    "Proxy":
      "代理",
    "(empty: the daemon's)":
      "（留空：使用守护进程的设置）",
    "API endpoint":
      "API 端点",
    "New refresh token":
      "新的刷新令牌",
    "(empty: keep the current one)":
      "（留空：保留当前令牌）",
    "Health of the account":
      "账号健康状况",
    "Health changes, newest first":
      "健康状态变化，最新的在前",
    "Time":
      "时间",
    "From":
      "从",
    "To":
      "到",
    "Reason":
      "原因",
    "Why it may serve again":
      "允许其重新服务的原因",
    "(kept in the audit log)":
      "（记入审计日志）",
    "Let it serve again":
      "允许重新服务",
    "Close":
      "关闭",
    "Period":
      "时间段",
    "today":
      "今天",
    "last 7 days":
      "最近 7 天",
    "last 30 days":
      "最近 30 天",
    "last 90 days":
      "最近 90 天",
    "last 365 days":
      "最近 365 天",
    "Over time":
      "随时间变化",
    "Range":
      "范围",
    "last 24 hours, by hour":
      "最近 24 小时，按小时",
    "last 7 days, by hour":
      "最近 7 天，按小时",
    "last 30 days, by day":
      "最近 30 天，按天",
    "last 90 days, by day":
      "最近 90 天，按天",
    "API key":
      "API 密钥",
    "all":
      "全部",
    "Account":
      "账号",
    "Model":
      "模型",
    "Show":
      "显示",
    "Requests and errors":
      "请求与错误",
    "Input and output tokens":
      "输入与输出 Token",
    "Latency (ms): median, 95th percentile, time to first byte":
      "延迟（毫秒）：中位数、第 95 百分位、首字节时间",
    "The same numbers as a table":
      "以表格显示相同数据",
    "Usage over time":
      "用量随时间变化",
    "Errors":
      "错误",
    "Input":
      "输入",
    "Output":
      "输出",
    "p50 ms":
      "p50 毫秒",
    "p95 ms":
      "p95 毫秒",
    "TTFB p50 ms":
      "首字节 p50 毫秒",
    "TTFB p95 ms":
      "首字节 p95 毫秒",
    "By day":
      "按天",
    "Date":
      "日期",
    "Total tokens":
      "Token 总数",
    "By account":
      "按账号",
    "Usage by API key":
      "按 API 密钥的用量",
    "Break down by":
      "细分方式",
    "account":
      "账号",
    "model":
      "模型",
    "Every request of the period is in one row: refused ones under their key and under account “(none)”, so the rows add up to the total.":
      "该时间段内的每个请求都计入某一行：被拒绝的请求计入其密钥和账号“（无）”，因此各行之和等于总计。",
    "All time":
      "全部时间",
    "Request id":
      "请求 ID",
    "any":
      "任意",
    "none (never reached one)":
      "无（未到达任何账号）",
    "Outcome":
      "结果",
    "served":
      "成功",
    "failed":
      "失败",
    "4xx":
      "4xx",
    "5xx":
      "5xx",
    "429 (limits)":
      "429（限额）",
    "Since (UTC)":
      "起始时间（UTC）",
    "Per page":
      "每页",
    "Clear":
      "清除",
    "Requests, newest first":
      "请求，最新的在前",
    "Status":
      "状态",
    "TTFB ms":
      "首字节毫秒",
    "Total ms":
      "总毫秒",
    "Newest":
      "最新",
    "Older":
      "更早",
    "Show the last":
      "显示最近",
    "50 changes":
      "50 条变更",
    "200 changes":
      "200 条变更",
    "1000 changes":
      "1000 条变更",
    "Every change made by an admin key, the control socket or the dashboard: who, when, and each field before and after. Secrets are never kept.":
      "管理员密钥、控制套接字或控制台做出的每一项变更：谁、何时，以及每个字段变更前后的值。从不保存任何机密。",
    "Admin changes, newest first":
      "管理变更，最新的在前",
    "Who":
      "操作者",
    "Command":
      "命令",
    "Record":
      "对象",
    "Changes":
      "变更",
    "Views":
      "视图",
    "name, kind, state, notes":
      "名称、类型、状态、备注",
    "default (0 = no cap)":
      "默认（0 = 不限）",
    "Sign-in address":
      "登录地址",
    "The new key":
      "新密钥",
    "name, description, models, prefix":
      "名称、描述、模型、前缀",
    "60 (0 = no cap)":
      "60（0 = 不限）",
    "10000 (0 = no cap)":
      "10000（0 = 不限）",
    "0 = no cap":
      "0 = 不限",
    "never":
      "从不",
    "yes":
      "是",
    "no":
      "否",
    "no cap":
      "不限",
    "{what} must be a whole number":
      "{what}必须是整数",
    "auto":
      "自动",
    "dark":
      "深色",
    "light":
      "浅色",
    "Theme: {choice}":
      "主题：{choice}",
    "Colour theme: auto (now {mode}). Change it":
      "配色主题：自动（当前为{mode}）。点击切换",
    "Colour theme: {choice}. Change it":
      "配色主题：{choice}。点击切换",
    "the daemon answered HTTP {status}":
      "守护进程返回 HTTP {status}",
    "not signed in":
      "未登录",
    "cannot reach the daemon: {why}":
      "无法连接守护进程：{why}",
    "yesterday {n}":
      "昨天 {n}",
    "not checked yet":
      "尚未检查",
    "{used} of {limit} used, resets {day}":
      "已用 {used} / {limit}，{day} 重置",
    "{used} of {limit} used":
      "已用 {used} / {limit}",
    "Quota of account “{name}”":
      "账号“{name}”的配额",
    "Error rate":
      "错误率",
    "Credits":
      "积分",
    "Requests in flight":
      "处理中的请求",
    "Waiting for an account":
      "等待账号",
    "{n} of at most {max}":
      "{n}（最多 {max}）",
    "Refused after waiting":
      "等待后被拒绝",
    "{timeouts} timed out, {full} with the queue full (since start)":
      "{timeouts} 个超时，{full} 个因队列已满（自启动以来）",
    "Accounts cooling down":
      "冷却中的账号",
    "Workers":
      "工作进程",
    "updated {time}":
      "更新于 {time}",
    "No quota for {list}":
      "无法获取配额：{list}",
    "Live refresh failed: {why}":
      "实时刷新失败：{why}",
    "{found} of {n} accounts match":
      "{n} 个账号中有 {found} 个匹配",
    "{n} account":
      "{n} 个账号",
    "{n} accounts":
      "{n} 个账号",
    "{found} of {n} keys match":
      "{n} 个密钥中有 {found} 个匹配",
    "{n} key":
      "{n} 个密钥",
    "{n} keys":
      "{n} 个密钥",
    "Nothing matches the search.":
      "没有符合搜索条件的结果。",
    "{first}–{last} of {n}, page {page} of {pages}":
      "第 {first}–{last} 条，共 {n} 条；第 {page} / {pages} 页",
    "healthy":
      "健康",
    "cooling":
      "冷却中",
    "half-open":
      "半开",
    "exhausted":
      "已耗尽",
    "quarantined":
      "已隔离",
    "disabled":
      "已停用",
    "unhealthy":
      "不健康",
    "until {time}":
      "直到 {time}",
    "Edit":
      "编辑",
    "Edit account “{name}”":
      "编辑账号“{name}”",
    "Health":
      "健康",
    "Health of account “{name}”":
      "账号“{name}”的健康状况",
    "Disable":
      "停用",
    "Enable":
      "启用",
    "Disabled account “{name}”.":
      "已停用账号“{name}”。",
    "Enabled account “{name}”.":
      "已启用账号“{name}”。",
    "Disable account “{name}”":
      "停用账号“{name}”",
    "Enable account “{name}”":
      "启用账号“{name}”",
    "Refreshed the token of account “{name}”; it expires {time}.":
      "已刷新账号“{name}”的令牌；将于 {time} 过期。",
    "Refreshed the token of account “{name}”.":
      "已刷新账号“{name}”的令牌。",
    "Refresh token of account “{name}”":
      "刷新账号“{name}”的令牌",
    "Quota":
      "配额",
    "Quota of account “{name}”: {used} of {limit} used, {remaining} remaining, resets {time}":
      "账号“{name}”的配额：已用 {used} / {limit}，剩余 {remaining}，{time} 重置",
    "Quota of account “{name}”: {used} of {limit} used, {remaining} remaining":
      "账号“{name}”的配额：已用 {used} / {limit}，剩余 {remaining}",
    "Delete":
      "删除",
    "Delete account “{name}”? Its tokens are removed too.":
      "删除账号“{name}”？其令牌也将一并删除。",
    "Deleted account “{name}”.":
      "已删除账号“{name}”。",
    "Delete account “{name}”":
      "删除账号“{name}”",
    "Now:":
      "当前：",
    "No health changes recorded.":
      "没有记录到健康状态变化。",
    "Account “{name}” may serve again.":
      "账号“{name}”可以重新服务了。",
    "Added account “{name}”.":
      "已添加账号“{name}”。",
    "Logged in: account {id}.":
      "登录成功：账号 {id}。",
    "The login ended ({state}): {why}.":
      "登录已结束（{state}）：{why}。",
    "no reason given":
      "未说明原因",
    "Open the sign-in page, sign in, then paste here the address your browser ends on (it starts with http://localhost and fails to load).":
      "打开登录页面并登录，然后把浏览器最终停留的地址粘贴到这里（以 http://localhost 开头，且无法加载）。",
    "Open the sign-in page and confirm the code; this page follows the login.":
      "打开登录页面并确认验证码；本页面会跟踪登录进度。",
    "Login cancelled.":
      "登录已取消。",
    "upload":
      "上传内容",
    "added":
      "已添加",
    "first refresh failed: {why}":
      "首次刷新失败：{why}",
    "registration":
      "客户端注册",
    "used by {names}":
      "被 {names} 使用",
    "not used by any token in this import":
      "本次导入中没有令牌使用它",
    "skipped":
      "已跳过",
    "refused":
      "已拒绝",
    "Imported {n}":
      "已导入 {n} 个",
    ", skipped {skipped}, refused {refused}.":
      "，跳过 {skipped} 个，拒绝 {refused} 个。",
    "Edit key “{name}”":
      "编辑密钥“{name}”",
    "Revoke":
      "吊销",
    "Revoke key “{name}”? Clients using it are refused from now on.":
      "吊销密钥“{name}”？使用它的客户端从现在起将被拒绝。",
    "Revoked key “{name}”.":
      "已吊销密钥“{name}”。",
    "Revoke key “{name}”":
      "吊销密钥“{name}”",
    "Delete key “{name}”? This cannot be undone.":
      "删除密钥“{name}”？此操作无法撤销。",
    "Deleted key “{name}”.":
      "已删除密钥“{name}”。",
    "Delete key “{name}”":
      "删除密钥“{name}”",
    "active":
      "有效",
    "revoked":
      "已吊销",
    "Copying is blocked here: select the text and copy it by hand.":
      "此处无法自动复制：请选中文本后手动复制。",
    "Requests per day":
      "每日请求数",
    "Saved key “{name}”.":
      "已保存密钥“{name}”。",
    "Saved account “{name}”.":
      "已保存账号“{name}”。",
    "(none)":
      "（无）",
    "Avg ms":
      "平均毫秒",
    "Avg TTFB ms":
      "平均首字节毫秒",
    "No usage in this period.":
      "该时间段内没有用量。",
    "Total":
      "总计",
    "Usage by {what}":
      "按{what}的用量",
    "{series}: {n} at most":
      "{series}：最多 {n}",
    "{summary} {unit} per bucket; the table below has all values":
      "{summary}（每个时间段的{unit}）；下方表格列出全部数值",
    "requests":
      "请求数",
    "tokens":
      "Token 数",
    "{n} requests in {buckets} hours; too many to read at once: only those before {time}":
      "{buckets} 小时内共 {n} 个请求；数据过多无法一次读取：仅包含 {time} 之前的请求",
    "{n} requests in {buckets} days; too many to read at once: only those before {time}":
      "{buckets} 天内共 {n} 个请求；数据过多无法一次读取：仅包含 {time} 之前的请求",
    "{n} requests in {buckets} hours.":
      "{buckets} 小时内共 {n} 个请求。",
    "{n} requests in {buckets} days.":
      "{buckets} 天内共 {n} 个请求。",
    "{from} to {to} (1 day, UTC)":
      "{from} 至 {to}（1 天，UTC）",
    "{from} to {to} ({n} days, UTC)":
      "{from} 至 {to}（{n} 天，UTC）",
    "Input tokens":
      "输入 Token",
    "Output tokens":
      "输出 Token",
    "Enabled accounts":
      "已启用账号",
    "Healthy accounts":
      "健康账号",
    "Active keys":
      "有效密钥",
    "No request matches.":
      "没有匹配的请求。",
    "Page {page}: 1 request, newest first; older ones follow.":
      "第 {page} 页：1 个请求，最新的在前；后面还有更早的请求。",
    "Page {page}: 1 request, newest first.":
      "第 {page} 页：1 个请求，最新的在前。",
    "Page {page}: {n} requests, newest first; older ones follow.":
      "第 {page} 页：{n} 个请求，最新的在前；后面还有更早的请求。",
    "Page {page}: {n} requests, newest first.":
      "第 {page} 页：{n} 个请求，最新的在前。",
    "No changes yet.":
      "还没有变更。",
  };
  if (typeof module === 'object' && module.exports) module.exports = zhCN;
  else root.amqDashboardZhCN = zhCN;
})(this);
