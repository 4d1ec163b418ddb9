-- wrk script: keep-alive GET /health (the HTTP path alone: no body, no JSON, no Redis).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
