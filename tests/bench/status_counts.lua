-- Counts the HTTP status of every response, per wrk thread, and prints the totals at the end
-- ("status-codes: 200=1234 429=5"), so that bench.py can say which errors a case had.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    statuses = {}
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        for status, n in pairs(thread:get("statuses")) do
            total[status] = (total[status] or 0) + n
        end
    end
    io.write("status-codes:")
    for status, n in pairs(total) do
        io.write(" ", status, "=", n)
    end
    io.write("\n")
end
