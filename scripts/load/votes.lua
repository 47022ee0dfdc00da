-- wrk script: votes, PUT /v1/users/me/matches/{id} {"winner": "a"|"b"}, each match once.
--
-- scripts/load.sh proposes the matches before the run (GET /v1/users/me/matches per judge)
-- and writes one "TOKEN MATCH_ID" line per proposed match, judges interleaved. Each wrk
-- thread takes every n-th line (n = the thread count) and formats its requests up front, so
-- the run sends only PUTs, never the same match twice (a second vote would be a 409), and
-- wrk spends as little CPU as it can on the cores it shares with the server.
--
-- wrk -t2 -c64 -d20s --latency -s votes.lua http://HOST:PORT -- VOTES_FILE N_THREADS
--
-- If a thread uses up its lines it sends GET /health instead and done() reports how many:
-- the votes figure is then not a votes figure, and load.sh refuses it.

local n_setup = 0
local threads = {}

function setup(thread)
   thread:set("thread_index", n_setup)
   n_setup = n_setup + 1
   table.insert(threads, thread)
end

function init(args)
   local path = args[1]
   local n_threads = tonumber(args[2])
   if path == nil or n_threads == nil then
      error("usage: wrk ... -s votes.lua URL -- VOTES_FILE N_THREADS")
   end
   requests = {}
   local line_no = 0
   for line in io.lines(path) do
      if line_no % n_threads == thread_index then
         local token, match_id = line:match("^(%S+)%s+(%x+)$")
         if token == nil then
            error(path .. ":" .. (line_no + 1) .. ": not a TOKEN MATCH_ID line")
         end
         local winner = (#requests % 2 == 0) and "a" or "b"
         requests[#requests + 1] = wrk.format(
            "PUT",
            "/v1/users/me/matches/" .. match_id,
            { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
            '{"winner":"' .. winner .. '"}'
         )
      end
      line_no = line_no + 1
   end
   n_available = #requests
   n_sent = 0
   n_ran_out = 0
   ran_out_request = wrk.format("GET", "/health")
end

function request()
   if n_sent < n_available then
      n_sent = n_sent + 1
      return requests[n_sent]
   end
   n_ran_out = n_ran_out + 1
   return ran_out_request
end

function done(summary, latency, requests)
   local available, sent, ran_out = 0, 0, 0
   for _, thread in ipairs(threads) do
      available = available + thread:get("n_available")
      sent = sent + thread:get("n_sent")
      ran_out = ran_out + thread:get("n_ran_out")
   end
   io.write(string.format("votes: %d match ids sent of %d prefetched\n", sent, available))
   io.write(string.format("ran out: %d requests were not votes\n", ran_out))
end
