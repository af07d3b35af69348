-- wrk script: load POST /auth/token with {"api_key": KEY}, KEY from $API_KEY.
--
--   API_KEY=cok_... wrk -t2 -c64 -d10s -s bench/wrk/token.lua http://127.0.0.1:8081/auth/token
--
-- wrk counts answers other than 2xx/3xx as "Non-2xx or 3xx responses". A
-- wrong key gets 401, and after 20 failures a minute from one address, 429.
local key = os.getenv("API_KEY")
if key == nil or key == "" then
  io.stderr:write("token.lua: set API_KEY to a coinop API key\n")
  os.exit(2)
end

-- JSON-escape backslashes and quotes (keys normally contain neither).
local escaped = key:gsub('[\\"]', '\\%0')

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"api_key":"' .. escaped .. '"}'
