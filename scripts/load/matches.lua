-- wrk script: GET /v1/users/me/matches, the judges' requests for games.
--
-- Proposing games rewrites the judge's record conditionally (the tournament cadence), so
-- two requests of one judge at once end in a 409 (`concurrent_update`) for the later one,
-- as they would for a real client that did that. A real judge asks, votes, asks again; to
-- keep each judge to one request at a time, each thread cycles through its own judges (every
-- n-th line of the token file, n = the thread count), many more of them than it has
-- connections, and formats its requests up front.
--
-- wrk -t2 -c64 -d20s --latency -s matches.lua http://HOST:PORT -- TOKENS_FILE N_THREADS

local n_setup = 0

function setup(thread)
   thread:set("thread_index", n_setup)
   n_setup = n_setup + 1
end

function init(args)
   local path = args[1]
   local n_threads = tonumber(args[2])
   if path == nil or n_threads == nil then
      error("usage: wrk ... -s matches.lua URL -- TOKENS_FILE N_THREADS")
   end
   requests = {}
   local line_no = 0
   for token in io.lines(path) do
      if line_no % n_threads == thread_index then
         requests[#requests + 1] = wrk.format(
            "GET",
            "/v1/users/me/matches",
            { ["Authorization"] = "Bearer " .. token }
         )
      end
      line_no = line_no + 1
   end
   if #requests == 0 then
      error(path .. ": no token for thread " .. thread_index)
   end
   next_index = 0
end

function request()
   next_index = next_index % #requests + 1
   return requests[next_index]
end
