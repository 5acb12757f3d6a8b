// JavaScript face of native/sim: a Simulation class, driven synchronously (a test and
// benchmark tool: a long runUntil blocks the calling thread by design). Arguments are
// validated in src/sim.ts; here only enough to never misbehave on bad input.
//
// Command failures are returned, not thrown: undefined on success, else
// { code, reason } that src/sim.ts turns into a SwimError.
#include <cmath>
#include <memory>
#include <string>

#include "binding/addon.h"
#include "sim/simulation.h"

namespace swim_binding {

namespace {

using swim::CommandError;
using swim::sim::Simulation;

const char* status_text(swim::Status s) {
  switch (s) {
    case swim::Status::Alive: return "alive";
    case swim::Status::Suspected: return "suspected";
    case swim::Status::Dead: return "dead";
    case swim::Status::Left: return "left";
  }
  return "unknown";
}

const char* command_error_code(CommandError e) {
  switch (e) {
    case CommandError::Ok: return nullptr;
    case CommandError::NotConfigured:
    case CommandError::BadConfig:
    case CommandError::UuidInUse: return "ERR_SWIM_CONFIG";
    case CommandError::SelfMember:
    case CommandError::DuplicateMember:
    case CommandError::UnknownMember: return "ERR_SWIM_MEMBER";
    case CommandError::PayloadTooLarge: return "ERR_SWIM_PAYLOAD_TOO_LARGE";
    case CommandError::BadAddress: return "ERR_SWIM_INVALID_ARG";
    case CommandError::Quitting: return "ERR_SWIM_CLOSED";
    case CommandError::Count_: break;
  }
  return "ERR_SWIM_NATIVE";
}

Napi::Value error_result(Napi::Env env, const char* code, const char* reason) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("code", code);
  o.Set("reason", reason);
  return o;
}

Napi::Value to_js(Napi::Env env, const Simulation::Result& r) {
  if (r.sim == Simulation::SimError::NotRunning) return error_result(env, "ERR_SWIM_CLOSED", "not_running");
  if (r.sim == Simulation::SimError::AddressInUse) return error_result(env, "ERR_SWIM_BIND", "address_in_use");
  if (r.command == CommandError::Ok) return env.Undefined();
  return error_result(env, command_error_code(r.command), swim::command_error_name(r.command));
}

std::string uuid_text(const swim::Uuid& u) {
  char buf[37];
  swim::uuid_format(u, buf);
  return buf;
}

std::string addr_text(const swim::Addr& a) {
  char buf[22];
  swim::addr_format(a, buf);
  return buf;
}

Napi::Object member_to_js(Napi::Env env, const swim::MemberSnapshot& m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("uuid", uuid_text(m.uuid));
  o.Set("uri", addr_text(m.addr));
  o.Set("status", status_text(m.status));
  Napi::Object inc = Napi::Object::New(env);
  inc.Set("generation", Napi::BigInt::New(env, m.incarnation.generation));
  inc.Set("version", Napi::BigInt::New(env, m.incarnation.version));
  o.Set("incarnation", inc);
  if (m.has_payload)
    o.Set("payload", Napi::Buffer<uint8_t>::Copy(env, m.payload.data(), m.payload.size()));
  else
    o.Set("payload", env.Null());
  o.Set("self", Napi::Boolean::New(env, m.is_self));
  return o;
}

// Reads an optional number property; false when absent or not a finite number.
bool get_number(const Napi::Object& o, const char* key, double* out) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) return false;
  *out = d;
  return true;
}

bool get_u64(const Napi::Value& v, uint64_t* out) {
  if (v.IsBigInt()) {
    bool lossless = false;
    *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
    return lossless;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d) return false;
    *out = static_cast<uint64_t>(d);
    return true;
  }
  return false;
}

bool parse_uuid(const Napi::Value& v, swim::Uuid* out) {
  if (!v.IsString()) return false;
  std::string s = v.As<Napi::String>().Utf8Value();
  return swim::uuid_parse(s.data(), s.size(), out);
}

bool parse_addr(const Napi::Value& v, swim::Addr* out) {
  if (!v.IsString()) return false;
  std::string s = v.As<Napi::String>().Utf8Value();
  return swim::addr_parse(s.data(), s.size(), out);
}

// Reads the fields of a configuration object into a patch; false + reason on bad values.
bool read_patch(const Napi::Object& o, swim::ConfigPatch* p, const char** reason) {
  Napi::Value v = o.Get("uri");
  if (!v.IsUndefined()) {
    if (!parse_addr(v, &p->uri)) {
      *reason = "invalid_uri";
      return false;
    }
    p->has_uri = true;
  }
  v = o.Get("uuid");
  if (!v.IsUndefined()) {
    if (!parse_uuid(v, &p->uuid)) {
      *reason = "invalid_uuid";
      return false;
    }
    p->has_uuid = true;
  }
  double d;
  if (get_number(o, "heartbeatRate", &d)) {
    p->has_heartbeat_rate = true;
    p->heartbeat_rate = d;
  }
  if (get_number(o, "ackTimeout", &d)) {
    p->has_ack_timeout = true;
    p->ack_timeout = d;
  }
  if (get_number(o, "indirectPingCount", &d)) {
    p->has_indirect_ping_count = true;
    p->indirect_ping_count = d < 0 ? 0 : d > 1e9 ? 1000000000u : static_cast<uint32_t>(d);
  }
  if (get_number(o, "maxMembers", &d)) {
    p->has_max_members = true;
    p->max_members = d < 0 ? 0 : d > 1e9 ? 1000000000u : static_cast<uint32_t>(d);
  }
  v = o.Get("gcMode");
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    p->has_gc_mode = true;
    p->gc_mode = s == "off" ? swim::GcMode::Off : swim::GcMode::On;
  }
  v = o.Get("generation");
  if (!v.IsUndefined()) {
    uint64_t g;
    if (!get_u64(v, &g)) {
      *reason = "invalid_generation";
      return false;
    }
    p->has_generation = true;
    p->generation = g;
  }
  return true;
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
  return o;
}

Napi::Object engine_stats_to_js(Napi::Env env, const swim::Stats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("packetsSent", double(s.packets_sent));
  o.Set("bytesSent", double(s.bytes_sent));
  o.Set("packetsReceived", double(s.packets_received));
  o.Set("bytesReceived", double(s.bytes_received));
  o.Set("packetsDropped", double(s.packets_dropped));
  Napi::Object drops = Napi::Object::New(env);
  for (size_t k = 1; k < swim::kDecodeErrorCount; ++k)
    drops.Set(swim::decode_error_name(static_cast<swim::DecodeError>(k)), double(s.drops[k]));
  o.Set("drops", drops);
  o.Set("dropsWrongDestination", double(s.drops_wrong_destination));
  o.Set("dropsSelfSource", double(s.drops_self_source));
  o.Set("dropsBadAddress", double(s.drops_bad_address));
  o.Set("pingsSent", double(s.pings_sent));
  o.Set("acksSent", double(s.acks_sent));
  o.Set("pingsReceived", double(s.pings_received));
  o.Set("acksReceived", double(s.acks_received));
  o.Set("indirectPingsSent", double(s.indirect_pings_sent));
  o.Set("indirectPingsForwarded", double(s.indirect_pings_forwarded));
  o.Set("ackTimeouts", double(s.ack_timeouts));
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
            InstanceMethod<&SimulationWrap::Broadcast>("broadcast"),
            InstanceMethod<&SimulationWrap::SetPayload>("setPayload"),
            InstanceMethod<&SimulationWrap::Quit>("quit"),
            InstanceMethod<&SimulationWrap::Kill>("kill"),
            InstanceMethod<&SimulationWrap::Restart>("restart"),
            InstanceMethod<&SimulationWrap::Events>("events"),
            InstanceMethod<&SimulationWrap::SetDrop>("setDrop"),
            InstanceMethod<&SimulationWrap::SetDelay>("setDelay"),
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
    double nodes = 0;
    if (!get_number(o, "nodes", &nodes) || nodes < 1 || nodes > 65535 || std::floor(nodes) != nodes) {
      Napi::RangeError::New(env, "nodes must be an integer in [1, 65535]").ThrowAsJavaScriptException();
      return;
    }
    cfg.nodes = static_cast<uint32_t>(nodes);
    if (!get_u64(o.Get("seed"), &cfg.seed)) {
      Napi::RangeError::New(env, "seed must be a non-negative integer or bigint").ThrowAsJavaScriptException();
      return;
    }
    const char* reason = nullptr;
    if (!read_patch(o, &cfg.base, &reason)) {
      Napi::TypeError::New(env, std::string("bad Simulation option: ") + reason).ThrowAsJavaScriptException();
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
  // Validates that the simulation exists and info[k] is a node number; throws otherwise.
  bool node_arg(const Napi::CallbackInfo& info, size_t k, uint32_t* out) {
    if (!sim_) {
      Napi::Error::New(info.Env(), "Simulation was not constructed").ThrowAsJavaScriptException();
      return false;
    }
    if (info.Length() <= k || !info[k].IsNumber()) {
      Napi::TypeError::New(info.Env(), "node must be a number").ThrowAsJavaScriptException();
      return false;
    }
    double d = info[k].As<Napi::Number>().DoubleValue();
    if (!(d >= 1) || d > sim_->size() || std::floor(d) != d) {
      Napi::RangeError::New(info.Env(), "no such node").ThrowAsJavaScriptException();
      return false;
    }
    *out = static_cast<uint32_t>(d);
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
    return Napi::String::New(info.Env(), uuid_text(sim_->uuid(i)));
  }
  Napi::Value Uri(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    return Napi::String::New(info.Env(), addr_text(sim_->uri(i)));
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
    if (info.Length() < 2 || !info[1].IsObject()) return error_result(env, "ERR_SWIM_CONFIG", "bad_config");
    swim::ConfigPatch p;
    const char* reason = nullptr;
    if (!read_patch(info[1].As<Napi::Object>(), &p, &reason)) return error_result(env, "ERR_SWIM_CONFIG", reason);
    return to_js(env, sim_->configure(i, p));
  }

  Napi::Value AddMember(const Napi::CallbackInfo& info) {
    uint32_t i, j;
    if (!node_arg(info, 0, &i) || !node_arg(info, 1, &j)) return info.Env().Undefined();
    return to_js(info.Env(), sim_->add_member(i, j));
  }

  Napi::Value AddMemberUri(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::Addr a;
    swim::Uuid u;
    if (info.Length() < 3 || !parse_addr(info[1], &a)) return error_result(env, "ERR_SWIM_INVALID_ARG", "invalid_uri");
    if (!parse_uuid(info[2], &u)) return error_result(env, "ERR_SWIM_INVALID_ARG", "invalid_uuid");
    return to_js(env, sim_->add_member(i, a, u));
  }

  Napi::Value RemoveMember(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::Uuid u;
    if (info.Length() < 2 || !parse_uuid(info[1], &u)) return error_result(env, "ERR_SWIM_INVALID_ARG", "invalid_uuid");
    return to_js(env, sim_->remove_member(i, u));
  }

  Napi::Value Probe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::Addr a;
    if (info.Length() < 2 || !parse_addr(info[1], &a)) return error_result(env, "ERR_SWIM_INVALID_ARG", "invalid_uri");
    return to_js(env, sim_->probe(i, a));
  }

  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    double port = 0;
    if (info.Length() >= 2 && info[1].IsNumber()) port = info[1].As<Napi::Number>().DoubleValue();
    if (!(port >= 0) || port > 65535 || std::floor(port) != port)
      return error_result(env, "ERR_SWIM_INVALID_ARG", "invalid_port");
    return to_js(env, sim_->broadcast(i, static_cast<uint16_t>(port)));
  }

  Napi::Value SetPayload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    if (info.Length() < 2 || info[1].IsNull() || info[1].IsUndefined())
      return to_js(env, sim_->set_payload(i, nullptr, 0, false));
    if (!info[1].IsTypedArray()) return error_result(env, "ERR_SWIM_INVALID_ARG", "payload_not_bytes");
    Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
    if (ta.TypedArrayType() != napi_uint8_array) return error_result(env, "ERR_SWIM_INVALID_ARG", "payload_not_bytes");
    Napi::Uint8Array u8 = ta.As<Napi::Uint8Array>();
    return to_js(env, sim_->set_payload(i, u8.Data(), u8.ByteLength(), true));
  }

  Napi::Value Quit(const Napi::CallbackInfo& info) {
    uint32_t i;
    if (!node_arg(info, 0, &i)) return info.Env().Undefined();
    return to_js(info.Env(), sim_->quit(i));
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
    return to_js(info.Env(), sim_->restart(i, seed));
  }

  Napi::Value Events(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    std::vector<swim::MemberEvent> events;
    sim_->take_events(i, &events);
    Napi::Array arr = Napi::Array::New(env, events.size());
    for (size_t k = 0; k < events.size(); ++k) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("mask", Napi::Number::New(env, events[k].mask));
      e.Set("member", member_to_js(env, events[k].member));
      arr.Set(uint32_t(k), e);
    }
    return arr;
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
    double fixed = info[1].As<Napi::Number>().DoubleValue();
    double jitter = info[2].As<Napi::Number>().DoubleValue();
    if (!(fixed >= 0) || !(jitter >= 0) || fixed > 1e15 || jitter > 1e15) {
      Napi::RangeError::New(env, "delay must be >= 0").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    sim_->set_delay(i, static_cast<swim::Time>(fixed), static_cast<swim::Time>(jitter));
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
    if (info.Length() <= k || !info[k].IsArray()) {
      Napi::TypeError::New(info.Env(), "expected an array of nodes").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Array a = info[k].As<Napi::Array>();
    for (uint32_t n = 0; n < a.Length(); ++n) {
      Napi::Value v = a.Get(n);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0;
      if (!(d >= 1) || d > sim_->size() || std::floor(d) != d) {
        Napi::RangeError::New(info.Env(), "no such node").ThrowAsJavaScriptException();
        return false;
      }
      out->push_back(static_cast<uint32_t>(d));
    }
    return true;
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

  // Builds a predicate from a normalized condition (see src/sim.ts): { kind: 'never' |
  // 'fullmesh' | 'member', ... } or a JavaScript function. False + exception on bad input.
  bool make_predicate(const Napi::CallbackInfo& info, const Napi::Value& cond, std::function<bool()>* pred,
                      std::unique_ptr<swim::sim::MemberCheck>* check, Napi::FunctionReference* fn, bool* js_failed) {
    Napi::Env env = info.Env();
    if (cond.IsFunction()) {
      *fn = Napi::Persistent(cond.As<Napi::Function>());
      Napi::FunctionReference* f = fn;
      *pred = [f, js_failed, env]() {
        Napi::Value r = f->Call({});
        if (env.IsExceptionPending()) {
          *js_failed = true;
          return true;
        }
        return r.ToBoolean().Value();
      };
      return true;
    }
    if (!cond.IsObject()) {
      Napi::TypeError::New(env, "condition must be an object or a function").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Object o = cond.As<Napi::Object>();
    std::string kind = o.Get("kind").IsString() ? o.Get("kind").As<Napi::String>().Utf8Value() : "";
    Simulation* sim = sim_.get();
    if (kind == "never") {
      *pred = [] { return false; };
      return true;
    }
    if (kind == "fullmesh") {
      *pred = [sim] { return sim->fullmesh(); };
      return true;
    }
    if (kind != "member") {
      Napi::TypeError::New(env, "unknown condition kind").ThrowAsJavaScriptException();
      return false;
    }
    check->reset(new swim::sim::MemberCheck());
    swim::sim::MemberCheck& c = **check;
    if (!parse_uuid(o.Get("uuid"), &c.uuid)) {
      Napi::TypeError::New(env, "condition: bad member uuid").ThrowAsJavaScriptException();
      return false;
    }
    double d;
    if (get_number(o, "memberNode", &d) && d >= 1 && d <= sim_->size()) c.member_node = static_cast<uint32_t>(d);
    std::string where = o.Get("where").IsString() ? o.Get("where").As<Napi::String>().Utf8Value() : "everywhere";
    if (where == "anywhere") {
      c.where = swim::sim::MemberCheck::Where::Anywhere;
    } else if (where == "on") {
      c.where = swim::sim::MemberCheck::Where::On;
      if (!get_number(o, "on", &d) || !(d >= 1) || d > sim_->size()) {
        Napi::RangeError::New(env, "condition: no such viewing node").ThrowAsJavaScriptException();
        return false;
      }
      c.on = static_cast<uint32_t>(d);
    }
    if (get_number(o, "status", &d)) {
      c.check_status = true;
      c.status = static_cast<int>(d);
    }
    Napi::Value g = o.Get("generation"), ver = o.Get("version");
    if (!g.IsUndefined() || !ver.IsUndefined()) {
      if (!get_u64(g, &c.incarnation.generation) || !get_u64(ver, &c.incarnation.version)) {
        Napi::TypeError::New(env, "condition: incarnation needs generation and version").ThrowAsJavaScriptException();
        return false;
      }
      c.check_incarnation = true;
    }
    Napi::Value p = o.Get("payload");
    if (!p.IsUndefined()) {
      c.check_payload = true;
      if (p.IsTypedArray() && p.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
        Napi::Uint8Array u8 = p.As<Napi::Uint8Array>();
        c.payload_present = true;
        c.payload.assign(u8.Data(), u8.Data() + u8.ByteLength());
      } else if (!p.IsNull()) {
        Napi::TypeError::New(env, "condition: payload must be a Uint8Array or null").ThrowAsJavaScriptException();
        return false;
      }
    }
    swim::sim::MemberCheck* cp = check->get();
    *pred = [sim, cp] { return sim->check(*cp); };
    return true;
  }

  // runUntil(condition, timeoutUs) -> virtual microseconds taken, or -1.
  Napi::Value RunUntil(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    std::function<bool()> pred;
    std::unique_ptr<swim::sim::MemberCheck> check;
    Napi::FunctionReference fn;
    bool js_failed = false;
    if (info.Length() < 2 || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "runUntil(condition, timeoutUs)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    double timeout = info[1].As<Napi::Number>().DoubleValue();
    if (!(timeout >= 0)) {
      Napi::RangeError::New(env, "timeout must be >= 0").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!make_predicate(info, info[0], &pred, &check, &fn, &js_failed)) return env.Undefined();
    swim::Time t = timeout >= 9.2e18 ? swim::kNever : static_cast<swim::Time>(timeout);
    swim::Time taken = sim_->run_until(pred, t);
    if (js_failed) return env.Undefined();  // the predicate's exception propagates
    if (!check_error(env)) return env.Undefined();
    return Napi::Number::New(env, double(taken));
  }

  Napi::Value Check(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(info)) return env.Undefined();
    std::function<bool()> pred;
    std::unique_ptr<swim::sim::MemberCheck> check;
    Napi::FunctionReference fn;
    bool js_failed = false;
    if (info.Length() < 1 || !make_predicate(info, info[0], &pred, &check, &fn, &js_failed)) return env.Undefined();
    bool r = pred();
    if (js_failed) return env.Undefined();
    return Napi::Boolean::New(env, r);
  }

  Napi::Value View(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    std::vector<swim::MemberSnapshot> members;
    sim_->view(i, &members);
    Napi::Array arr = Napi::Array::New(env, members.size());
    for (size_t k = 0; k < members.size(); ++k) arr.Set(uint32_t(k), member_to_js(env, members[k]));
    return arr;
  }

  Napi::Value Member(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::Uuid u;
    if (info.Length() < 2 || !parse_uuid(info[1], &u)) return env.Null();
    swim::MemberSnapshot m;
    if (!sim_->engine(i).member(u, &m)) return env.Null();
    return member_to_js(env, m);
  }

  Napi::Value Self(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t i;
    if (!node_arg(info, 0, &i)) return env.Undefined();
    swim::MemberSnapshot m;
    sim_->engine(i).self(&m);
    return member_to_js(env, m);
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
    o.Set("engine", engine_stats_to_js(env, sim_->engine(i).stats()));
    return o;
  }

  std::unique_ptr<Simulation> sim_;
};

}  // namespace

void InitSim(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = SimulationWrap::Define(env);
  env.GetInstanceData<AddonData>()->simulation_ctor = Napi::Persistent(ctor);
  exports.Set("Simulation", ctor);
}

}  // namespace swim_binding
