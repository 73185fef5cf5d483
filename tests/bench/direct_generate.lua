-- wrk: the Amazon Q generate call sent straight to fake_upstream, with the headers
-- amq2apid sends (common/q_http.cpp), so it is the baseline the proxy is measured against.
-- bench.py passes an access token the fake issued in BENCH_ACCESS_TOKEN.
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_ACCESS_TOKEN")
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
wrk.headers["Accept"] = "*/*"
wrk.body = '{"conversationState":{"conversationId":"bench-0000-0000",'
    .. '"chatTriggerType":"MANUAL","currentMessage":{"userInputMessage":'
    .. '{"content":"hi","modelId":"claude-sonnet-4.5","origin":"CLI"}}}}'

package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("status_counts")
