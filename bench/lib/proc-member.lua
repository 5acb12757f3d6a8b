-- One Tarantool (2.6, require('swim')) cluster member in its own process, for the
-- one-member-per-process mode of bench/cluster.mjs; the same line protocol as
-- bench/lib/proc-member.cjs (ready, mesh; stdin "exit", EOF exits too).
--   tarantool proc-member.lua '<settings json>' '<peer json or null>' <members>
-- Tarantool's swim counts no bytes, so "sent" is not answered.
local json = require('json')
local fiber = require('fiber')
local ffi = require('ffi')

local settings = json.decode(arg[1])
local peer = json.decode(arg[2])
local members = tonumber(arg[3])

local function print_line(t)
  io.stdout:write(json.encode(t) .. '\n')
  io.stdout:flush()
end

local uuid = require('uuid').str()
local s = require('swim').new({uri = '127.0.0.1:0', uuid = uuid,
  heartbeat_rate = settings.heartbeat, ack_timeout = settings.ackTimeout})
if peer ~= nil and peer ~= json.NULL then
  assert(s:add_member({uri = peer.uri, uuid = peer.uuid}))
end
print_line({type = 'ready', id = uuid, addr = {uri = s:self():uri(), uuid = uuid}})

-- Polled until the mesh is complete, then never again (as in proc-member.cjs).
fiber.create(function()
  while true do
    local alive = 0
    for _, m in s:pairs() do
      if m:status() == 'alive' and not m:is_dropped() then alive = alive + 1 end
    end
    if s:size() == members and alive == members then
      print_line({type = 'mesh'})
      return
    end
    fiber.sleep(0.1)
  end
end)

-- stdin is a socketpair, which fio cannot open: wait on the event loop and read(2) it.
pcall(ffi.cdef, 'long proc_member_read(int fd, void *buf, size_t n) asm("read");')
local cbuf = ffi.new('char[?]', 4096)
while true do
  require('socket').iowait(0, 'R', 3600)
  local n = tonumber(ffi.C.proc_member_read(0, cbuf, 4096))
  if n == 0 then os.exit(0) end
  if n > 0 then
    if ffi.string(cbuf, n):find('exit', 1, true) then
      s:delete()
      os.exit(0)
    end
  else
    local errno = ffi.errno()
    if errno ~= 4 and errno ~= 11 then os.exit(0) end
  end
end
