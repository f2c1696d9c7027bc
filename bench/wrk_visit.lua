-- wrk script: POST a visit form per request, each with a fresh client id, to a random resident.
-- Environment: BENCH_VISIT_IDS (a file of resident ids, one per line), BENCH_VISIT_PATH (a path
-- with %d for the id), BENCH_VISIT_CSRF (the form's token, empty for the bare app),
-- BENCH_NONCE (differs per run, so client ids never repeat between runs),
-- BENCH_REPORT_LUA (bench/wrk_report.lua, whose done() prints the figures).

dofile(os.getenv("BENCH_REPORT_LUA"))

local ids = {}
for line in io.lines(os.getenv("BENCH_VISIT_IDS")) do
  ids[#ids + 1] = tonumber(line)
end
local path_format = os.getenv("BENCH_VISIT_PATH")
local csrf = os.getenv("BENCH_VISIT_CSRF") or ""
local nonce = tonumber(os.getenv("BENCH_NONCE"))

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

local counter = 0
function init(args)
  math.randomseed(nonce * 1000 + number)
end

function request()
  counter = counter + 1
  -- Unique per run, thread and request; random in the rest, like a browser's crypto.randomUUID.
  local uuid = string.format("%08x-%04x-4%03x-a%03x-%04x%08x", nonce % 0x100000000, number,
    math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0xffff), counter)
  local body = "csrf_token=" .. csrf .. "&outcome=absent&client_uuid=" .. uuid
    .. "&note=V%E1%BA%AFng+nh%C3%A0"
  return wrk.format("POST", string.format(path_format, ids[math.random(#ids)]), nil, body)
end
