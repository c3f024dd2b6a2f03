-- wrk script: every request is one POST of a GraphQL request body, read once per thread
-- from the file named by the WRK_BODY_FILE environment variable (bench/run sets it).
local path = os.getenv("WRK_BODY_FILE")
if path == nil or path == "" then
  error("set WRK_BODY_FILE to the path of the JSON request body")
end
local file = assert(io.open(path, "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
-- With this media type the server answers a request it cannot run with 400, so wrk
-- counts it among the non-2xx responses.
wrk.headers["Accept"] = "application/graphql-response+json"
