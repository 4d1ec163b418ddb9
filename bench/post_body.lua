-- wrk script: keep-alive POST /telemetry with a prebuilt body read from BODY_FILE (binary-safe), sent with
-- CONTENT_TYPE and, when set, CONTENT_ENCODING. Used by `scripts/bench formats` so that JSON, Protobuf and their
-- gzip'd forms of the same events go through the same client code.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local file = assert(io.open(assert(os.getenv("BODY_FILE"), "BODY_FILE is not set"), "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json"
local encoding = os.getenv("CONTENT_ENCODING")
if encoding and encoding ~= "" then
  wrk.headers["Content-Encoding"] = encoding
end
wrk.body = body
