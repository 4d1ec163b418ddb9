-- wrk script: keep-alive POST /telemetry with the 196-byte event of body.json (the same body the
-- peers were measured with, inlined so that every request is byte-identical and costs wrk nothing).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"device_id":"sensor-17","type":"temperature","value":27.31,"unit":"celsius","priority":"MEDIUM","timestamp":"2026-11-30T04:00:00.000Z","metadata":{"location":"zone-1","firmware_version":"2.3.1"}}'
