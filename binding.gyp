{
  "variables": {
    "swim_sanitize%": "0",
    "swim_test_hooks%": "0"
  },
  "targets": [
    {
      "target_name": "swim_native",
      "sources": [
        "native/binding/addon.cc",
        "native/binding/codec_binding.cc",
        "native/binding/js_convert.cc",
        "native/core/types.cc",
        "native/core/msgpack.cc",
        "native/core/codec.cc",
        "native/core/member_table.cc",
        "native/core/probe_queue.cc",
        "native/core/contacts.cc",
        "native/core/dissemination.cc",
        "native/core/ack_waits.cc",
        "native/core/event_log.cc",
        "native/core/membership.cc",
        "native/core/failure_detection.cc",
        "native/core/messages.cc",
        "native/core/engine.cc",
        "native/core/engine_checks.cc",
        "native/core/lifeguard.cc",
        "native/core/suspicion.cc",
        "native/binding/crypto_binding.cc",
        "native/io/crypto.cc",
        "native/binding/swim_binding.cc",
        "native/io/worker.cc",
        "native/io/udp_socket.cc",
        "native/binding/sim_binding.cc",
        "native/sim/simulation.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["swim_test_hooks==1", {
          "defines": ["SWIM_TEST_HOOKS"]
        }],
        ["swim_sanitize==1", {
          "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined", "-g", "-O1"],
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined", "-g", "-O1"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ]
}
