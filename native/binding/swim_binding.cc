// SwimHandle: the JS face of one native worker (native/io/worker.h). N-API glue only.
//
// Ownership: a SwimInstance (worker + thread-safe function + state word) is shared by
//   - the SwimHandle wrapper (until it is collected),
//   - the thread-safe function (released in its finalizer, the last thing Node does with it),
//   - the env's registry AddonData::live_swims (until the worker thread has been joined).
// So the worker never outlives its listener, and joining never happens in a GC finalizer:
// the worker's exit notice (delivered through the thread-safe function on the JS thread)
// joins a thread that has nothing left to do but store TERMINATED, and the env cleanup
// hook joins whatever is left at teardown.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "binding/addon.h"
#include "binding/js_convert.h"
#include "io/crypto.h"
#include "io/worker.h"

namespace swim_binding {

namespace {

enum Notice : uintptr_t { kNoticeEvents = 1, kNoticeExit = 2, kNoticeConflicts = 3 };

}  // namespace

struct SwimInstance : swim_io::WorkerListener {
  AddonData* addon = nullptr;
  std::shared_ptr<swim_io::StateCell> state;
  std::unique_ptr<swim_io::Worker> worker;

  // Worker-thread side of the thread-safe function. Its mutex also orders the finalizer
  // (JS thread) against a call in flight, so the worker never touches a freed function.
  std::mutex tsfn_mu;
  napi_threadsafe_function tsfn = nullptr;
  bool tsfn_usable = false;

  // JS-thread only.
  bool tsfn_finalized = false;  // Node freed the function: no ref/unref any more
  bool exit_delivered = false;  // the worker was joined; no event reaches JS after this
  // Lifecycle bookkeeping (AddonData::swim_counters), tallied when the thread is joined.
  uint32_t stop_requests = 0;    // stoppers that won the word and asked the worker to stop
  bool unchecked_stop = false;   // a test stopped it natively while the word said RUNNING
  bool stop_without_win = false; // stop() was called while the word said RUNNING: a JS bug

  ~SwimInstance() override {
    // Normally joined long ago; this only matters if teardown skipped every other path.
    // The listener (this) must stay intact until the thread is gone.
    if (worker) {
      worker->RequestStop();
      worker->Join();
    }
  }

  void OnEventsPending() override { Notify(kNoticeEvents, false); }
  void OnConflictsPending() override { Notify(kNoticeConflicts, false); }
  void OnWorkerExit() override { Notify(kNoticeExit, true); }

  void Notify(Notice kind, bool release) {
    std::lock_guard<std::mutex> lock(tsfn_mu);
    if (!tsfn_usable) return;
    napi_status s =
        napi_call_threadsafe_function(tsfn, reinterpret_cast<void*>(kind), napi_tsfn_nonblocking);
    if (s == napi_closing) {
      // The env is going away; Node already dropped our thread count. Never touch it again.
      tsfn_usable = false;
      return;
    }
    if (release) {
      napi_release_threadsafe_function(tsfn, napi_tsfn_release);
      tsfn_usable = false;
    }
  }
};

namespace {

// The winner of RUNNING -> STOPPING asks the worker to stop (JS thread).
void RequestStopAsWinner(SwimInstance* inst) {
  ++inst->stop_requests;
  inst->worker->RequestStop();
}

// Joins the worker thread; the call that actually joined it tallies the instance's fate.
void JoinAndTally(SwimInstance* inst) {
  if (!inst->worker->Join()) return;
  SwimLifecycleCounters& c = inst->addon->swim_counters;
  uint32_t winners = inst->stop_requests + (inst->worker->StoppedItself() ? 1 : 0);
  ++c.joined;
  c.stop_requests += inst->stop_requests;
  if (inst->worker->StoppedItself()) ++c.self_stops;
  if (winners > 1 || (winners == 0 && !inst->unchecked_stop) || inst->stop_without_win ||
      inst->state->load() != swim_io::kStateTerminated)
    ++c.anomalies;
}

// Stops (if this caller wins RUNNING -> STOPPING) and joins. Blocks: teardown only.
void StopAndJoin(SwimInstance* inst) {
  if (!inst->worker) return;
  if (inst->state->cas(swim_io::kStateRunning, swim_io::kStateStopping)) RequestStopAsWinner(inst);
  JoinAndTally(inst);
}

// The env is being torn down (process exit, worker.terminate()): no worker may outlive it.
void EnvCleanup(void* arg) {
  AddonData* data = static_cast<AddonData*>(arg);
  auto live = std::move(data->live_swims);
  data->live_swims.clear();
  for (auto& kv : live) StopAndJoin(kv.first);
  // `live` releases its references here; instances still referenced by a wrapper or a
  // thread-safe function are freed by those later.
}

void ThrowWorkerError(Napi::Env env, const swim_io::WorkerError& err) {
  Napi::Error e = Napi::Error::New(env, err.message);
  if (err.uv_code != 0) e.Set("uvCode", Napi::String::New(env, uv_err_name(err.uv_code)));
  if (err.command != swim::CommandError::Ok) e.Set("commandError", CommandErrorToJs(env, err.command));
  e.ThrowAsJavaScriptException();
}

// Builds the cipher for a codec config normalized by src/crypto.ts. *out stays null for
// algo 'none' (plain text). On failure throws an Error with code ERR_SWIM_CONFIG (the JS
// layer rewraps it as a SwimError) and returns false. Our copies of the keys are wiped.
bool BuildCipher(Napi::Env env, Napi::Value value, std::unique_ptr<swim::io::PacketCipher>* out) {
  swim::io::CipherConfig config;
  std::string error;
  bool ok = ParseCipherConfig(value, &config, &error);
  if (ok && config.algo != swim::io::CipherAlgo::None) {
    *out = swim::io::make_cipher(config, &error);
    ok = *out != nullptr;
  }
  for (auto& k : config.keys) std::fill(k.begin(), k.end(), 0);
  if (!ok && !env.IsExceptionPending()) {  // a throwing getter's exception wins
    Napi::Error e = Napi::Error::New(env, error);
    e.Set("code", Napi::String::New(env, "ERR_SWIM_CONFIG"));
    e.ThrowAsJavaScriptException();
  }
  return ok;
}

// Receives the worker's notices on the JS thread (the thread-safe function's call_js).
void CallJs(napi_env raw_env, napi_value js_cb, void* context, void* data) {
  // Null env: Node is tearing the env down and only emptying the queue.
  if (raw_env == nullptr || js_cb == nullptr) return;
  SwimInstance* inst = static_cast<SwimInstance*>(context);
  Napi::Env env(raw_env);
  Napi::Function cb(raw_env, js_cb);
  uintptr_t kind = reinterpret_cast<uintptr_t>(data);
  if (inst->exit_delivered) return;
  if (kind == kNoticeEvents) {
    std::vector<swim::MemberEvent> events;
    inst->worker->TakeEvents(&events);
    if (events.empty()) return;
    cb.Call({Napi::String::New(env, "events"), EventsToJs(env, events)});
    return;  // an exception stays pending: Node reports it as uncaught
  }
  if (kind == kNoticeConflicts) {
    std::vector<swim::Conflict> conflicts;
    inst->worker->TakeConflicts(&conflicts);
    for (const swim::Conflict& c : conflicts) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("uuid", UuidToJs(env, c.uuid));
      o.Set("uri", AddrToJs(env, c.addr));
      cb.Call({Napi::String::New(env, "conflict"), o});
      if (env.IsExceptionPending()) return;  // reported as uncaught, as for events
    }
    return;
  }
  if (kind == kNoticeExit) {
    // The thread has released the function and only stores TERMINATED before returning:
    // this join is over in microseconds.
    JoinAndTally(inst);
    inst->exit_delivered = true;
    std::string fatal = inst->worker->FatalError();
    // Keep ourselves alive across the erase: the function's finalize data still holds a
    // reference, but be explicit about it.
    std::shared_ptr<SwimInstance> keep;
    auto it = inst->addon->live_swims.find(inst);
    if (it != inst->addon->live_swims.end()) {
      keep = it->second;
      inst->addon->live_swims.erase(it);
    }
    Napi::Value err = env.Undefined();
    if (!fatal.empty()) err = Napi::String::New(env, fatal);
    cb.Call({Napi::String::New(env, "exit"), err});
    // The worker (engine, loop, buffers) is not needed any more: free it now rather than
    // when the wrapper happens to be collected. The JS side cached what it still shows.
    inst->worker.reset();
  }
}

void TsfnFinalize(napi_env, void* finalize_data, void* context) {
  SwimInstance* inst = static_cast<SwimInstance*>(context);
  {
    std::lock_guard<std::mutex> lock(inst->tsfn_mu);
    inst->tsfn_usable = false;
  }
  inst->tsfn_finalized = true;
  delete static_cast<std::shared_ptr<SwimInstance>*>(finalize_data);
}

void StateBufferFinalize(napi_env, void*, void* hint) {
  delete static_cast<std::shared_ptr<swim_io::StateCell>*>(hint);
}

class SwimHandle : public Napi::ObjectWrap<SwimHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "SwimHandle",
        {
            InstanceMethod<&SwimHandle::StateBuffer>("stateBuffer"),
            InstanceMethod<&SwimHandle::StateLoad>("stateLoad"),
            InstanceMethod<&SwimHandle::StateCas>("stateCas"),
            InstanceMethod<&SwimHandle::Stop>("stop"),
#ifdef SWIM_TEST_HOOKS
            InstanceMethod<&SwimHandle::StopUnchecked>("stopUnchecked"),
            InstanceMethod<&SwimHandle::InjectFatal>("injectFatal"),
#endif  // SWIM_TEST_HOOKS
            InstanceMethod<&SwimHandle::Ref>("ref"),
            InstanceMethod<&SwimHandle::Unref>("unref"),
            InstanceMethod<&SwimHandle::AddMember>("addMember"),
            InstanceMethod<&SwimHandle::RemoveMember>("removeMember"),
            InstanceMethod<&SwimHandle::ProbeMember>("probeMember"),
            InstanceMethod<&SwimHandle::Broadcast>("broadcast"),
            InstanceMethod<&SwimHandle::SetSeeds>("setSeeds"),
            InstanceMethod<&SwimHandle::HeardFrom>("heardFrom"),
            InstanceMethod<&SwimHandle::SetPayload>("setPayload"),
            InstanceMethod<&SwimHandle::Quit>("quit"),
            InstanceMethod<&SwimHandle::Configure>("configure"),
            InstanceMethod<&SwimHandle::SetCodec>("setCodec"),
            InstanceMethod<&SwimHandle::Info>("info"),
            InstanceMethod<&SwimHandle::Members>("members"),
            InstanceMethod<&SwimHandle::Member>("member"),
            InstanceMethod<&SwimHandle::Self>("self"),
            InstanceMethod<&SwimHandle::Stats>("stats"),
        });
  }

  // new SwimHandle(options, callback(kind, arg))
  explicit SwimHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SwimHandle>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "SwimHandle(options, callback)").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    swim_io::WorkerConfig cfg;
    // uri: the announced address (ip or port 0: the bound one); bind: where to listen.
    bool ok = AddrFromJs(o.Get("uri"), &cfg.announce) && AddrFromJs(o.Get("bind"), &cfg.bind) &&
              UuidFromJs(o.Get("uuid"), &cfg.uuid) &&
              SecondsFromJs(o.Get("heartbeatRate"), &cfg.heartbeat_rate) &&
              SecondsFromJs(o.Get("ackTimeout"), &cfg.ack_timeout) && GcModeFromJs(o.Get("gcMode"), &cfg.gc_mode) &&
              U32FromJs(o.Get("maxMembers"), 1u << 24, &cfg.max_members);
    Napi::Value lifeguard = o.Get("lifeguard");
    if (ok) {
      ok = lifeguard.IsBoolean();
      if (ok) cfg.lifeguard = lifeguard.As<Napi::Boolean>().Value();
    }
    Napi::Value generation = o.Get("generation");
    if (ok && !generation.IsUndefined()) {
      cfg.has_generation = true;
      ok = U64FromJs(generation, &cfg.generation);
    }
    Napi::Value payload = o.Get("payload");
    if (ok && !payload.IsUndefined()) {
      ok = payload.IsBuffer();
      if (ok) {
        Napi::Buffer<uint8_t> b = payload.As<Napi::Buffer<uint8_t>>();
        cfg.has_payload = true;
        cfg.payload.assign(b.Data(), b.Data() + b.Length());
      }
    }
    Napi::Value seed = o.Get("seed");
    if (ok && !seed.IsUndefined()) ok = U64FromJs(seed, &cfg.seed);
    if (!ok) {
      Napi::TypeError::New(env, "SwimHandle: malformed options").ThrowAsJavaScriptException();
      return;
    }
    // The codec is checked before anything is bound: a bad key leaves no socket behind.
    std::unique_ptr<swim::io::PacketCipher> cipher;
    Napi::Value codec = o.Get("codec");
    if (!codec.IsUndefined() && !BuildCipher(env, codec, &cipher)) return;

    AddonData* addon = env.GetInstanceData<AddonData>();
    auto inst = std::make_shared<SwimInstance>();
    inst->addon = addon;
    inst->state = std::make_shared<swim_io::StateCell>();

    swim_io::WorkerError err;
    inst->worker = swim_io::Worker::Open(cfg, inst->state, inst.get(), &err);
    if (!inst->worker) {
      inst->state->store(swim_io::kStateTerminated);
      ThrowWorkerError(env, err);
      return;
    }

    auto* finalize_data = new std::shared_ptr<SwimInstance>(inst);
    napi_value name;
    napi_create_string_utf8(env, "swim-native:events", NAPI_AUTO_LENGTH, &name);
    napi_status s = napi_create_threadsafe_function(env, info[1], nullptr, name, 0, 1, finalize_data,
                                                    TsfnFinalize, inst.get(), CallJs, &inst->tsfn);
    if (s != napi_ok) {
      delete finalize_data;
      inst->worker.reset();  // never started: closes its loop and socket
      inst->state->store(swim_io::kStateTerminated);
      Napi::Error::New(env, "napi_create_threadsafe_function failed").ThrowAsJavaScriptException();
      return;
    }
    inst->tsfn_usable = true;
    // Taken over by the worker thread before it sends its first datagram.
    if (cipher) inst->worker->SetCipher(std::move(cipher));

    if (!inst->worker->Start(&err)) {
      {
        std::lock_guard<std::mutex> lock(inst->tsfn_mu);
        napi_release_threadsafe_function(inst->tsfn, napi_tsfn_release);
        inst->tsfn_usable = false;
      }
      ThrowWorkerError(env, err);
      return;
    }
    addon->live_swims.emplace(inst.get(), inst);
    ++addon->swim_counters.started;
    inst_ = std::move(inst);
  }

  ~SwimHandle() override {
    // Collected (or env teardown). Never blocks: a running worker is asked to stop and is
    // joined by its exit notice or by the env cleanup hook, which keep the instance alive.
    if (inst_ && inst_->worker &&
        inst_->state->cas(swim_io::kStateRunning, swim_io::kStateStopping))
      RequestStopAsWinner(inst_.get());
  }

 private:
  // For calls that need the worker. It is gone once the exit notice was delivered; the JS
  // layer never calls these then (ERR_SWIM_CLOSED), so this only guards misuse.
  bool Live(Napi::Env env) {
    if (inst_ && inst_->worker) return true;
    Napi::Error::New(env, "SwimHandle: the worker has ended").ThrowAsJavaScriptException();
    return false;
  }

  // For calls that only need the instance (state word, lifecycle).
  bool Has(Napi::Env env) {
    if (inst_) return true;
    Napi::Error::New(env, "SwimHandle is not initialised").ThrowAsJavaScriptException();
    return false;
  }

  // An ArrayBuffer over the state word, kept alive by its own reference to the cell; or
  // null where external buffers are not allowed (V8 sandbox), then JS uses stateLoad/Cas.
  Napi::Value StateBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Has(env)) return env.Undefined();
    auto* hint = new std::shared_ptr<swim_io::StateCell>(inst_->state);
    napi_value ab;
    napi_status s = napi_create_external_arraybuffer(env, static_cast<void*>(&inst_->state->word), 4,
                                                     StateBufferFinalize, hint, &ab);
    if (s != napi_ok) {
      delete hint;
      if (env.IsExceptionPending()) env.GetAndClearPendingException();
      return env.Null();
    }
    return Napi::Value(env, ab);
  }

  Napi::Value StateLoad(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Has(env)) return env.Undefined();
    return Napi::Number::New(env, inst_->state->load());
  }

  Napi::Value StateCas(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Has(env)) return env.Undefined();
    uint32_t expect, desired;
    if (!U32FromJs(info[0], 3, &expect) || !U32FromJs(info[1], 3, &desired)) {
      Napi::TypeError::New(env, "stateCas(expect, desired)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Boolean::New(env, inst_->state->cas(expect, desired));
  }

  // Native stop for a JS caller that won RUNNING -> STOPPING (close(), the registry). It
  // does not consult the word (the caller did); idempotent; a no-op once the worker has
  // ended and was released.
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Has(env)) return env.Undefined();
    if (!inst_->worker) return env.Undefined();
    if (inst_->state->load() == swim_io::kStateRunning) inst_->stop_without_win = true;
    RequestStopAsWinner(inst_.get());
    return env.Undefined();
  }

#ifdef SWIM_TEST_HOOKS
  // The same native stop, from a caller that did not win the word. Not counted as a winner.
  Napi::Value StopUnchecked(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Has(env)) return env.Undefined();
    if (!inst_->worker) return env.Undefined();
    if (inst_->state->load() == swim_io::kStateRunning) inst_->unchecked_stop = true;
    inst_->worker->RequestStop();
    return env.Undefined();
  }

  Napi::Value InjectFatal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Has(env) || !inst_->worker) return env.Undefined();
    std::string why = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
    inst_->worker->InjectFatal(why);
    return env.Undefined();
  }
#endif  // SWIM_TEST_HOOKS

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (inst_ && !inst_->tsfn_finalized) napi_ref_threadsafe_function(env, inst_->tsfn);
    return env.Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (inst_ && !inst_->tsfn_finalized) napi_unref_threadsafe_function(env, inst_->tsfn);
    return env.Undefined();
  }

  Napi::Value BadArgs(Napi::Env env, const char* usage) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Value AddMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    swim::Addr a;
    swim::Uuid u;
    if (!AddrFromJs(info[0], &a) || !UuidFromJs(info[1], &u)) return BadArgs(env, "addMember(uri, uuid)");
    return CommandErrorToJs(env, inst_->worker->AddMember(a, u));
  }

  Napi::Value RemoveMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    swim::Uuid u;
    if (!UuidFromJs(info[0], &u)) return BadArgs(env, "removeMember(uuid)");
    return CommandErrorToJs(env, inst_->worker->RemoveMember(u));
  }

  Napi::Value ProbeMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    swim::Addr a;
    if (!AddrFromJs(info[0], &a)) return BadArgs(env, "probeMember(uri)");
    return CommandErrorToJs(env, inst_->worker->ProbeMember(a));
  }

  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    uint32_t port;
    if (!U32FromJs(info[0], 0xffff, &port)) return BadArgs(env, "broadcast(port)");
    return CommandErrorToJs(env, inst_->worker->Broadcast(static_cast<uint16_t>(port)));
  }

  // setSeeds(['a.b.c.d:port', ...]) -> error name or undefined
  Napi::Value SetSeeds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    std::vector<swim::Addr> seeds;
    if (!AddrListFromJs(info[0], &seeds)) return BadArgs(env, "setSeeds(uris)");
    return CommandErrorToJs(env, inst_->worker->SetSeeds(seeds));
  }

  // heardFrom(['a.b.c.d:port', ...]) -> [clock, heard_from of each...] (engine.h)
  Napi::Value HeardFrom(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    std::vector<swim::Addr> addrs;
    if (!AddrListFromJs(info[0], &addrs)) return BadArgs(env, "heardFrom(uris)");
    std::vector<uint64_t> heard;
    uint64_t clock = 0;
    inst_->worker->HeardFrom(addrs, &heard, &clock);
    Napi::Array out = Napi::Array::New(env, heard.size() + 1);
    out.Set(0u, Napi::Number::New(env, static_cast<double>(clock)));
    for (size_t i = 0; i < heard.size(); ++i)
      out.Set(static_cast<uint32_t>(i + 1), Napi::Number::New(env, static_cast<double>(heard[i])));
    return out;
  }

  Napi::Value SetPayload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    if (info[0].IsNull() || info[0].IsUndefined())
      return CommandErrorToJs(env, inst_->worker->SetPayload(nullptr, 0, false));
    if (!info[0].IsBuffer()) return BadArgs(env, "setPayload(buffer | null)");
    Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
    return CommandErrorToJs(env, inst_->worker->SetPayload(b.Data(), b.Length(), true));
  }

  Napi::Value Quit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    return CommandErrorToJs(env, inst_->worker->Quit());
  }

  // configure({ uri?, bind?, uuid?, heartbeatRate?, ackTimeout?, gcMode? }) -> error name or
  // undefined; throws (with uvCode) when binding a new `bind` fails.
  Napi::Value Configure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    swim::ConfigPatch p;
    if (!info[0].IsObject() || !PatchFromJs(info[0].As<Napi::Object>(), &p))
      return BadArgs(env, "configure: malformed patch");
    swim::Addr rebind;
    Napi::Value bind = info[0].As<Napi::Object>().Get("bind");
    if (!bind.IsUndefined() && !AddrFromJs(bind, &rebind)) return BadArgs(env, "configure: malformed bind");
    swim_io::WorkerError err;
    if (inst_->worker->Configure(p, bind.IsUndefined() ? nullptr : &rebind, &err))
      return CommandErrorToJs(env, swim::CommandError::Ok);
    if (err.command != swim::CommandError::Ok) return CommandErrorToJs(env, err.command);
    ThrowWorkerError(env, err);
    return env.Undefined();
  }

  // setCodec(normalizedConfig): builds the cipher here (JS thread, microseconds) and hands
  // it to the worker, which swaps it in between two datagrams. Throws ERR_SWIM_CONFIG.
  Napi::Value SetCodec(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    std::unique_ptr<swim::io::PacketCipher> cipher;
    if (!BuildCipher(env, info[0], &cipher)) return env.Undefined();
    inst_->worker->SetCipher(std::move(cipher));
    return env.Undefined();
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    swim_io::Worker::Info i = inst_->worker->GetInfo();
    Napi::Object o = Napi::Object::New(env);
    o.Set("uri", AddrToJs(env, i.uri));
    o.Set("port", Napi::Number::New(env, i.uri.port));
    o.Set("bind", AddrToJs(env, i.bind));
    o.Set("uuid", UuidToJs(env, i.uuid));
    o.Set("heartbeatRate", Napi::Number::New(env, i.heartbeat_rate));
    o.Set("ackTimeout", Napi::Number::New(env, i.ack_timeout));
    o.Set("gcMode", GcModeToJs(env, i.gc_mode));
    o.Set("lifeguard", Napi::Boolean::New(env, i.lifeguard));
    o.Set("size", Napi::Number::New(env, static_cast<double>(i.size)));
    return o;
  }

  Napi::Value Members(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    std::vector<swim::MemberSnapshot> ms;
    inst_->worker->Members(&ms);
    return MembersToJs(env, ms);
  }

  Napi::Value Member(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    swim::Uuid u;
    if (!UuidFromJs(info[0], &u)) return BadArgs(env, "member(uuid)");
    swim::MemberSnapshot m;
    if (!inst_->worker->Member(u, &m)) return env.Undefined();
    return MemberToJs(env, m);
  }

  Napi::Value Self(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    swim::MemberSnapshot m;
    inst_->worker->Self(&m);
    return MemberToJs(env, m);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    swim::Stats s;
    swim_io::WorkerStats w;
    inst_->worker->GetStats(&s, &w);
    Napi::Object o = EngineStatsToJs(env, s, w.oversize);
    auto n = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
    n("sendErrors", w.send_errors);
    n("sendQueued", w.send_queued);
    n("receiveErrors", w.receive_errors);
    n("transformDrops", w.transform_drops);
    Napi::Object cipher_drops = Napi::Object::New(env);
    for (size_t i = 1; i < swim::io::kCipherDropCount; ++i)
      cipher_drops.Set(swim::io::cipher_drop_name(static_cast<swim::io::CipherDrop>(i)),
                       Napi::Number::New(env, static_cast<double>(w.cipher_drops[i])));
    o.Set("cipherDrops", cipher_drops);
    n("sealErrors", w.seal_errors);
    n("broadcastTargets", w.broadcast_targets);
    n("pendingEvents", w.pending_events);
    return o;
  }

  std::shared_ptr<SwimInstance> inst_;
};

// Stops and joins every live worker of this env now (process 'exit': Node does not run
// env cleanup hooks on process.exit() in the main thread, and a thread must not keep
// running while the process exits).
Napi::Value ShutdownAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvCleanup(env.GetInstanceData<AddonData>());
  return env.Undefined();
}

#ifdef SWIM_TEST_HOOKS
// This env's lifecycle tallies.
Napi::Value LifecycleCounters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const SwimLifecycleCounters& c = env.GetInstanceData<AddonData>()->swim_counters;
  Napi::Object o = Napi::Object::New(env);
  auto n = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
  n("started", c.started);
  n("joined", c.joined);
  n("stopRequests", c.stop_requests);
  n("selfStops", c.self_stops);
  n("anomalies", c.anomalies);
  return o;
}

// Workers of this env not yet joined (leaks, teardown).
Napi::Value LiveWorkers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Napi::Number::New(env, static_cast<double>(env.GetInstanceData<AddonData>()->live_swims.size()));
}
#endif  // SWIM_TEST_HOOKS

}  // namespace

void InitSwim(Napi::Env env, Napi::Object exports) {
  AddonData* data = env.GetInstanceData<AddonData>();
  Napi::Function ctor = SwimHandle::Define(env);
  data->swim_ctor = Napi::Persistent(ctor);
  exports.Set("SwimHandle", ctor);
  exports.Set("swimShutdownAll", Napi::Function::New<ShutdownAll>(env, "swimShutdownAll"));
#ifdef SWIM_TEST_HOOKS
  exports.Set("swimLiveWorkers", Napi::Function::New<LiveWorkers>(env, "swimLiveWorkers"));
  exports.Set("swimLifecycleCounters", Napi::Function::New<LifecycleCounters>(env, "swimLifecycleCounters"));
#endif  // SWIM_TEST_HOOKS
  exports.Set("swimStateValues",
              [&] {
                Napi::Object o = Napi::Object::New(env);
                o.Set("NEW", Napi::Number::New(env, swim_io::kStateNew));
                o.Set("RUNNING", Napi::Number::New(env, swim_io::kStateRunning));
                o.Set("STOPPING", Napi::Number::New(env, swim_io::kStateStopping));
                o.Set("TERMINATED", Napi::Number::New(env, swim_io::kStateTerminated));
                return o;
              }());
  // Node frees the instance data from a hook registered when the addon's napi_env was
  // made, before this one; hooks run in reverse order, so `data` is alive when we run.
  napi_add_env_cleanup_hook(env, EnvCleanup, data);
}

}  // namespace swim_binding
