-- wrk: the same request with "stream":true; wrk times it to the end of the SSE stream.
-- bench.py passes the API key in BENCH_API_KEY.
wrk.method = "POST"
wrk.path = "/v1/messages"
wrk.headers["x-api-key"] = os.getenv("BENCH_API_KEY")
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,'
    .. '"messages":[{"role":"user","content":"hi"}]}'

package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
require("status_counts")
