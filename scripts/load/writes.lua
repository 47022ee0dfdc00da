-- wrk script: PUT /ROUTE/{key} against hello-warp, each key once: the storage floors, one
-- durable record write per request (ROUTE `write`, the default) or a vote's storage work
-- (ROUTE `vote`: a read, a write and a stream append; see benches/src/bin/hello-warp.rs).
--
-- Like votes.lua, each thread formats its requests up front (PREFORMAT of them, enough for
-- 20 s on the 2-core machine), so wrk spends as little CPU as it can on the cores it shares
-- with the server; past them it formats each request as it goes.
--
-- wrk -t2 -c64 -d20s --latency -s writes.lua http://HOST:PORT [-- ROUTE]

local PREFORMAT = 800000
local n_setup = 0

function setup(thread)
   thread:set("thread_index", n_setup)
   n_setup = n_setup + 1
end

local function format(n)
   return wrk.format(
      "PUT",
      prefix .. thread_index .. "-" .. n,
      { ["Content-Type"] = "application/json" },
      '{"winner":"a"}'
   )
end

function init(args)
   prefix = "/" .. (args[1] or "write") .. "/"
   requests = {}
   for n = 1, PREFORMAT do
      requests[n] = format(n)
   end
   n_sent = 0
end

function request()
   n_sent = n_sent + 1
   return requests[n_sent] or format(n_sent)
end
