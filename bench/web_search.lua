-- wrk script: search API requests cycling through pre-encoded queries (one per line of
-- $PB_QUERIES), each thread starting at a different offset.
local queries = {}
local path = os.getenv("PB_QUERIES")
for line in io.lines(path) do
  if #line > 0 then queries[#queries + 1] = line end
end
local counter = 0
local thread_offset = 0
local threads = 0

setup = function(thread)
  thread:set("thread_offset", threads * 997)
  threads = threads + 1
end

request = function()
  counter = counter + 1
  local q = queries[((counter + thread_offset) % #queries) + 1]
  return wrk.format("GET", "/api/papers/search?q=" .. q .. "&limit=10")
end
