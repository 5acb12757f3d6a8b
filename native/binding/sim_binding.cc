// JavaScript face of native/sim: a Simulation class, driven synchronously (a test and
// benchmark tool: a long runUntil blocks the calling thread by design). Arguments are
// validated in src/sim.ts; here only enough to never misbehave on bad input (a TypeError).
//
// Command failures are returned, not thrown: undefined on success, else the error's name
// (the engine's, or 'not_running' / 'address_in_use'), which src/errors.ts maps to a code.
#include <memory>
#include <string>

#include "binding/addon.h"
#include "binding/js_convert.h"
#include "sim/simulation.h"

namespace swim_binding {

namespace {

using swim::sim::Simulation;

Napi::Value ResultToJs(Napi::Env env, const Simulation::Result& r) {
  if (r.sim == Simulation::SimError::NotRunning) return Napi::String::New(env, "not_running");
  if (r.sim == Simulation::SimError::AddressInUse) return Napi::String::New(env, "address_in_use");
  return CommandErrorToJs(env, r.command);
}

Napi::Value BadArgs(Napi::Env env, const char* usage) {
  Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Object node_stats_to_js(Napi::Env env, const swim::sim::NodeStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("packetsSent", double(s.packets_sent));
  o.Set("bytesSent", double(s.bytes_sent));
  o.Set("packetsReceived", double(s.packets_received));
  o.Set("bytesReceived", double(s.bytes_received));
  o.Set("droppedOut", double(s.dropped_out));
  o.Set("droppedIn", double(s.dropped_in));
  o.Set("undeliverable", double(s.undeliverable));
  o.Set("seenSuspected", double(s.seen_suspected));
  o.Set("seenDead", double(s.seen_dead));
  o.Set("seenAlive", double(s.seen_alive));
  return o;
}

class SimulationWrap : public Napi::ObjectWrap<SimulationWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Simulation",
        {
            InstanceMethod<&SimulationWrap::Size>("size"),
            InstanceMethod<&SimulationWrap::Now>("now"),
            InstanceMethod<&SimulationWrap::Uuid>("uuid"),
            InstanceMethod<&SimulationWrap::Uri>("uri"),
            InstanceMethod<&SimulationWrap::Generation>("generation"),
            InstanceMethod<&SimulationWrap::Running>("running"),
            InstanceMethod<&SimulationWrap::Configure>("configure"),
            InstanceMethod<&SimulationWrap::AddMember>("addMember"),
            InstanceMethod<&SimulationWrap::AddMemberUri>("addMemberUri"),
            InstanceMethod<&SimulationWrap::RemoveMember>("removeMember"),
            InstanceMethod<&SimulationWrap::Probe>("probe"),
            InstanceMethod<&SimulationWrap::SetSeeds>("setSeeds"),
            InstanceMethod<&SimulationWrap::Broadcast>("broadcast"),
            InstanceMethod<&SimulationWrap::SetPayload>("setPayload"),
            InstanceMethod<&SimulationWrap::Quit>("quit"),
            InstanceMethod<&SimulationWrap::Kill>("kill"),
            InstanceMethod<&SimulationWrap::Restart>("restart"),
            InstanceMethod<&SimulationWrap::Events>("events"),
            InstanceMethod<&SimulationWrap::SetDrop>("setDrop"),
            InstanceMethod<&SimulationWrap::SetDelay>("setDelay"),
            InstanceMethod<&SimulationWrap::SetTimerLateness>("setTimerLateness"),
            InstanceMethod<&SimulationWrap::Block>("block"),
            InstanceMethod<&SimulationWrap::Unblock>("unblock"),
            InstanceMethod<&SimulationWrap::Cut>("cut"),
            InstanceMethod<&SimulationWrap::Uncut>("uncut"),
            InstanceMethod<&SimulationWrap::Partition>("partition"),
            InstanceMethod<&SimulationWrap::Heal>("heal"),
            InstanceMethod<&SimulationWrap::Step>("step"),
            InstanceMethod<&SimulationWrap::NextEventTime>("nextEventTime"),
            InstanceMethod<&SimulationWrap::RunUntil>("runUntil"),
            InstanceMethod<&SimulationWrap::Check>("check"),
            InstanceMethod<&SimulationWrap::View>("view"),
            InstanceMethod<&SimulationWrap::Member>("member"),
            InstanceMethod<&SimulationWrap::Self>("self"),
            InstanceMethod<&SimulationWrap::Stats>("stats"),
            InstanceMethod<&SimulationWrap::NodeStats>("nodeStats"),
        });
  }

  explicit SimulationWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SimulationWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "Simulation options must be an object").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    swim::sim::SimConfig cfg;
    if (!U32FromJs(o.Get("nodes"), 65535, &cfg.nodes) || cfg.nodes == 0 || !U64FromJs(o.Get("seed"), &cfg.seed) ||
        !PatchFromJs(o, &cfg.base)) {
      BadArgs(env, "Simulation: malformed options");
      return;
    }
    cfg.base.has_uri = cfg.base.has_uuid = false;
    Napi::Value v = o.Get("configure");
    if (v.IsBoolean()) cfg.configure = v.As<Napi::Boolean>().Value();
    v = o.Get("keepEvents");
    if (v.IsBoolean()) cfg.keep_events = v.As<Napi::Boolean>().Value();
    sim_.reset(new Simulation(cfg));
    if (!sim_->error().empty()) {
      Napi::Error::New(env, sim_->error()).ThrowAsJavaScriptException();
      sim_.reset();
    }
  }

 private:
  bool node_number(const Napi::Value& v, uint32_t* out) { return U32FromJs(v, sim_->size(), out) && *out != 0; }

  // Validates that the simulation exists and info[k] is a node number; throws otherwise.
  bool node_arg(const Napi::CallbackInfo& info, size_t k, uint32_t* out) {
    if (!ready(info)) return false;
    if (node_number(info[k], out)) return true;
    Napi::RangeError::New(info.Env(), "no such node").ThrowAsJavaScriptException();
    return false;
  }

  // Arguments k and k+1 (numbers, checked by the caller): a fixed time and a jitter in
  // microseconds, each in [0, 1e15]; a RangeError with `what` otherwise.
  bool micros_pair(const Napi::CallbackInfo& info, size_t k, const char* what, swim::Time* fixed, swim::Time* jitter) {
    double f = info[k].As<Napi::Number>().DoubleValue();
    double j = info[k + 1].As<Napi::Number>().DoubleValue();
    if (!(f >= 0) || !(j >= 0) || f > 1e15 || j > 1e15) {
      Napi::RangeError::New(info.Env(), what).ThrowAsJavaScriptException();
      return false;
    }
    *fixed = static_cast<swim::Time>(f);
    *jitter = static_cast<swim::Time>(j);
    return true;
  }

  bool ready(const Napi::CallbackInfo& info) {
    if (sim_) return true;
    Napi::Error::New(info.Env(), "Simulation was not constructed").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value Size(const Napi::CallbackInfo& info) {
    if (!ready(info)) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), sim_->size());
  }
  Napi::Value Now(const Napi::CallbackInfo& info) {
    if (!ready(info)) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), double(sim_->now()));
  }
  Napi::Value Uuid(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    return UuidToJs(info.Env(), sim_->uuid(i));
  }
  Napi::Value Uri(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    return AddrToJs(info.Env(), sim_->uri(i));
  }
  Napi::Value Generation(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    return Napi::BigInt::New(info.Env(), sim_->generation(i));
  }
  Napi::Value Running(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    return Napi::Boolean::New(info.Env(), sim_->running(i));
  }

  Napi::Value Configure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::ConfigPatch p;
    if (!info[1].IsObject() || !PatchFromJs(info[1].As<Napi::Object>(), &p)) return BadArgs(env, "configure(node, config)");
    return ResultToJs(env, sim_->configure(i, p));
  }

  Napi::Value AddMember(const Napi::CallbackInfo& info) {
    uint32_t i, j;
    if (!node_arg(info, 0, &i) || !node_arg(info, 1, &j)) return info.Env().Undefined();
    return ResultToJs(info.Env(), sim_->add_member(i, j));
  }

  Napi::Value AddMemberUri(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::Addr a;
    swim::Uuid u;
    if (!AddrFromJs(info[1], &a) || !UuidFromJs(info[2], &u)) return BadArgs(env, "addMemberUri(node, uri, uuid)");
    return ResultToJs(env, sim_->add_member(i, a, u));
  }

  Napi::Value RemoveMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::Uuid u;
    if (!UuidFromJs(info[1], &u)) return BadArgs(env, "removeMember(node, uuid)");
    return ResultToJs(env, sim_->remove_member(i, u));
  }

  Napi::Value Probe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::Addr a;
    if (!AddrFromJs(info[1], &a)) return BadArgs(env, "probe(node, uri)");
    return ResultToJs(env, sim_->probe(i, a));
  }

  Napi::Value SetSeeds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    std::vector<swim::Addr> seeds;
    if (!AddrListFromJs(info[1], &seeds)) return BadArgs(env, "setSeeds(node, uris)");
    return ResultToJs(env, sim_->set_seeds(i, seeds));
  }

  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    uint32_t port;
    if (!U32FromJs(info[1], 0xffff, &port)) return BadArgs(env, "broadcast(node, port)");
    return ResultToJs(env, sim_->broadcast(i, static_cast<uint16_t>(port)));
  }

  Napi::Value SetPayload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    if (info.Length() < 2 || info[1].IsNull() || info[1].IsUndefined())
      return ResultToJs(env, sim_->set_payload(i, nullptr, 0, false));
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      return BadArgs(env, "setPayload(node, bytes | null)");
    Napi::Uint8Array u8 = info[1].As<Napi::Uint8Array>();
    return ResultToJs(env, sim_->set_payload(i, u8.Data(), u8.ByteLength(), true));
  }

  Napi::Value Quit(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    return ResultToJs(info.Env(), sim_->quit(i));
  }

  Napi::Value Kill(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    sim_->kill(i);
    return info.Env().Undefined();
  }

  Napi::Value Restart(const Napi::CallbackInfo& info) {
    uint32_t i, seed = 0;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    if (info.Length() >= 2 && info[1].IsNumber() && !node_arg(info, 1, &seed)) return info.Env().Undefined();
    return ResultToJs(info.Env(), sim_->restart(i, seed));
  }

  Napi::Value Events(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    std::vector<swim::MemberEvent> events;
    sim_->take_events(i, &events);
    return EventsToJs(env, events);
  }

  Napi::Value SetDrop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    double rate = 0;
    if (info.Length() < 2 || !info[1].IsNumber() || !((rate = info[1].As<Napi::Number>().DoubleValue()) >= 0) ||
        rate > 1) {
      Napi::RangeError::New(env, "rate must be in [0, 1]").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    swim::sim::Direction dir = swim::sim::Direction::Both;
    if (info.Length() >= 3 && info[2].IsString()) {
      std::string s = info[2].As<Napi::String>().Utf8Value();
      if (s == "in")
        dir = swim::sim::Direction::In;
      else if (s == "out")
        dir = swim::sim::Direction::Out;
    }
    sim_->set_drop(i, rate, dir);
    return env.Undefined();
  }

  // setDelay(node | 0, fixedUs, jitterUs)
  Napi::Value SetDelay(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    uint32_t i = 0;
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
      Napi::TypeError::New(env, "setDelay(node, fixedUs, jitterUs)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info[0].As<Napi::Number>().DoubleValue() != 0 && !node_arg(info, 0, &i)) return env.Undefined();
    swim::Time fixed, jitter;
    if (micros_pair(info, 1, "delay must be >= 0", &fixed, &jitter)) sim_->set_delay(i, fixed, jitter);
    return env.Undefined();
  }

  // setTimerLateness(fixedUs, jitterUs)
  Napi::Value SetTimerLateness(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "setTimerLateness(fixedUs, jitterUs)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    swim::Time fixed, jitter;
    if (micros_pair(info, 0, "timer lateness must be >= 0", &fixed, &jitter)) sim_->set_timer_lateness(fixed, jitter);
    return env.Undefined();
  }

  Napi::Value Block(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (node_arg(info, 0, &i)) sim_->block(i);
    return info.Env().Undefined();
  }
  Napi::Value Unblock(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (node_arg(info, 0, &i)) sim_->unblock(i);
    return info.Env().Undefined();
  }
  Napi::Value Cut(const Napi::CallbackInfo& info) {
    uint32_t i, j;
    if (node_arg(info, 0, &i) && node_arg(info, 1, &j)) sim_->cut(i, j);
    return info.Env().Undefined();
  }
  Napi::Value Uncut(const Napi::CallbackInfo& info) {
    uint32_t i, j;
    if (node_arg(info, 0, &i) && node_arg(info, 1, &j)) sim_->uncut(i, j);
    return info.Env().Undefined();
  }

  bool node_list(const Napi::CallbackInfo& info, size_t k, std::vector<uint32_t>* out) {
    bool ok = info[k].IsArray();
    Napi::Array a = ok ? info[k].As<Napi::Array>() : Napi::Array::New(info.Env());
    out->resize(a.Length());
    for (uint32_t n = 0; ok && n < a.Length(); ++n) ok = node_number(a.Get(n), &(*out)[n]);
    if (!ok) BadArgs(info.Env(), "expected an array of nodes");
    return ok;
  }

  Napi::Value Partition(const Napi::CallbackInfo& info) {
    if (!ready(info)) return info.Env().Undefined();
    std::vector<uint32_t> a, b;
    if (node_list(info, 0, &a) && node_list(info, 1, &b)) sim_->partition(a, b);
    return info.Env().Undefined();
  }
  Napi::Value Heal(const Napi::CallbackInfo& info) {
    if (ready(info)) sim_->heal();
    return info.Env().Undefined();
  }

  bool check_error(Napi::Env env) {
    if (sim_->error().empty()) return true;
    Napi::Error e = Napi::Error::New(env, "simulation stopped: " + sim_->error());
    e.Set("code", "ERR_SWIM_NATIVE");
    e.ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value Step(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    bool stepped = sim_->step();
    if (!check_error(env)) return env.Undefined();
    return Napi::Boolean::New(env, stepped);
  }

  Napi::Value NextEventTime(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    swim::Time t = sim_->next_event_time();
    return Napi::Number::New(env, t == swim::kNever ? -1.0 : double(t));
  }

  // A runUntil/check condition: a JavaScript function, or a condition normalized by
  // src/sim.ts ({ kind: 'never' | 'fullmesh' | 'member', ... }). False (and a TypeError)
  // when malformed. `pred` refers to the other fields: keep the Condition in place.
  struct Condition {
    std::function<bool()> pred;
    swim::sim::MemberWatch watch;  // a member condition, evaluated incrementally
    Napi::FunctionReference fn;
    bool js_failed = false;  // the function threw: its exception is pending
  };

  bool condition_from_js(Napi::Env env, const Napi::Value& v, Condition* c) {
    if (v.IsFunction()) {
      c->fn = Napi::Persistent(v.As<Napi::Function>());
      c->pred = [c, env]() {
        Napi::Value r = c->fn.Call({});
        if (env.IsExceptionPending()) return c->js_failed = true;
        return r.ToBoolean().Value();
      };
      return true;
    }
    Simulation* sim = sim_.get();
    std::string kind = v.IsObject() ? v.As<Napi::Object>().Get("kind").ToString().Utf8Value() : "";
    if (kind == "never") c->pred = [] { return false; };
    else if (kind == "fullmesh") c->pred = [sim] { return sim->fullmesh(); };
    else if (kind == "member" && member_check_from_js(v.As<Napi::Object>(), &c->watch.check))
      c->pred = [sim, c] { return sim->check(&c->watch); };
    if (c->pred) return true;
    BadArgs(env, "malformed condition");
    return false;
  }

  bool member_check_from_js(const Napi::Object& o, swim::sim::MemberCheck* c) {
    using Where = swim::sim::MemberCheck::Where;
    uint32_t n = 0;
    if (!UuidFromJs(o.Get("uuid"), &c->uuid)) return false;
    if (U32FromJs(o.Get("memberNode"), sim_->size(), &n)) c->member_node = n;
    std::string where = o.Get("where").ToString().Utf8Value();
    if (where == "anywhere") c->where = Where::Anywhere;
    if (where == "on") {
      c->where = Where::On;
      if (!U32FromJs(o.Get("on"), sim_->size(), &c->on) || c->on == 0) return false;
    }
    if (!o.Get("status").IsUndefined()) {
      if (!U32FromJs(o.Get("status"), swim::sim::kAbsent, &n)) return false;
      c->check_status = true;
      c->status = static_cast<int>(n);
    }
    Napi::Value g = o.Get("generation"), ver = o.Get("version");
    if (!g.IsUndefined() || !ver.IsUndefined()) {
      if (!U64FromJs(g, &c->incarnation.generation) || !U64FromJs(ver, &c->incarnation.version)) return false;
      c->check_incarnation = true;
    }
    Napi::Value p = o.Get("payload");
    if (p.IsUndefined()) return true;
    c->check_payload = true;
    if (p.IsNull()) return true;
    if (!p.IsTypedArray() || p.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) return false;
    Napi::Uint8Array u8 = p.As<Napi::Uint8Array>();
    c->payload_present = true;
    c->payload.assign(u8.Data(), u8.Data() + u8.ByteLength());
    return true;
  }

  // runUntil(condition, timeoutUs) -> virtual microseconds taken, or -1.
  Napi::Value RunUntil(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Condition c;
    if (!ready(info) || !condition_from_js(env, info[0], &c)) return env.Undefined();
    double timeout = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
    if (!(timeout >= 0)) return BadArgs(env, "runUntil(condition, timeoutUs)");
    swim::Time taken = sim_->run_until(c.pred, timeout >= 9.2e18 ? swim::kNever : static_cast<swim::Time>(timeout));
    if (c.js_failed || !check_error(env)) return env.Undefined();  // the predicate's exception propagates
    return Napi::Number::New(env, double(taken));
  }

  Napi::Value Check(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Condition c;
    if (!ready(info) || !condition_from_js(env, info[0], &c)) return env.Undefined();
    bool r = c.pred();
    if (c.js_failed) return env.Undefined();
    return Napi::Boolean::New(env, r);
  }

  Napi::Value View(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    std::vector<swim::MemberSnapshot> members;
    sim_->view(i, &members);
    return MembersToJs(env, members);
  }

  Napi::Value Member(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::Uuid u;
    if (!UuidFromJs(info[1], &u)) return BadArgs(env, "member(node, uuid)");
    swim::MemberSnapshot m;
    if (!sim_->engine(i).member(u, &m)) return env.Null();
    return MemberToJs(env, m);
  }

  Napi::Value Self(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::MemberSnapshot m;
    sim_->engine(i).self(&m);
    return MemberToJs(env, m);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    Napi::Object o = node_stats_to_js(env, sim_->total_stats());
    Napi::Array nodes = Napi::Array::New(env, sim_->size());
    for (uint32_t i = 1; i <= sim_->size(); ++i) nodes.Set(i - 1, node_stats_to_js(env, sim_->node_stats(i)));
    o.Set("nodes", nodes);
    return o;
  }

  Napi::Value NodeStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    Napi::Object o = node_stats_to_js(env, sim_->node_stats(i));
    o.Set("engine", EngineStatsToJs(env, sim_->engine(i).stats()));
    return o;
  }

  std::unique_ptr<Simulation> sim_;
};

}  // namespace

void InitSim(Napi::Env env, Napi::Object exports) {
  exports.Set("Simulation", SimulationWrap::Define(env));
}

}  // namespace swim_binding
