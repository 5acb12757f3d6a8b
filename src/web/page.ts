// The agent's live page (GET /): the membership as a table, status in colour, payloads, and a
// timeline of events, kept current through Server-Sent Events (GET /events). One
// self-contained document: no build step, no external resources; every value is inserted
// with textContent, never as HTML.
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swim-native</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  #self { color: #555; margin-bottom: 1em; font-family: ui-monospace, monospace; }
  #conn { display: inline-block; padding: 0 .5em; border-radius: 3px; color: #fff; background: #888; }
  #conn.live { background: #2e7d32; } #conn.down { background: #c62828; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid #e0e0e0; vertical-align: top; }
  th { background: #eee; }
  td.mono, #timeline { font-family: ui-monospace, monospace; font-size: 12px; }
  .status { font-weight: bold; }
  .s-alive { color: #2e7d32; } .s-suspected { color: #ef6c00; } .s-dead { color: #c62828; }
  .s-left { color: #757575; } .s-dropped { color: #9e9e9e; } .s-joined { color: #1565c0; } .s-updated { color: #6a1b9a; }
  tr.self td:first-child::after { content: " (self)"; color: #888; font-weight: normal; }
  #summary span { margin-right: 1em; }
  #timeline { list-style: none; padding: 0; max-height: 40em; overflow: auto; }
  #timeline li { padding: .15em 0; border-bottom: 1px dotted #ddd; }
</style>
</head>
<body>
<h1>swim-native <span id="conn">connecting</span></h1>
<div id="self"></div>
<div id="summary"></div>
<h2>Members</h2>
<table id="members">
  <thead><tr><th>status</th><th>uri</th><th>uuid</th><th>incarnation</th><th>payload</th></tr></thead>
  <tbody></tbody>
</table>
<h2>Timeline</h2>
<ol id="timeline"></ol>
<script>
(function () {
  'use strict';
  var members = new Map();
  var tbody = document.querySelector('#members tbody');
  var timeline = document.getElementById('timeline');
  var conn = document.getElementById('conn');

  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  function payloadText(m) {
    if (m.payload !== null && m.payload !== undefined) return JSON.stringify(m.payload);
    return m.payloadHex ? '0x' + m.payloadHex : '';
  }
  function render() {
    var rows = Array.from(members.values()).sort(function (a, b) {
      return a.isSelf === b.isSelf ? (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0) : a.isSelf ? -1 : 1;
    });
    tbody.textContent = '';
    var counts = { alive: 0, suspected: 0, dead: 0, left: 0 };
    rows.forEach(function (m) {
      counts[m.status] = (counts[m.status] || 0) + 1;
      var tr = document.createElement('tr');
      tr.dataset.uuid = m.uuid;
      tr.dataset.uri = m.uri;
      tr.dataset.status = m.status;
      if (m.isSelf) tr.className = 'self';
      cell(tr, m.status, 'status s-' + m.status);
      cell(tr, m.uri, 'mono');
      cell(tr, m.uuid, 'mono');
      cell(tr, m.incarnation.generation + '.' + m.incarnation.version, 'mono');
      cell(tr, payloadText(m), 'mono');
      tbody.appendChild(tr);
    });
    var summary = document.getElementById('summary');
    summary.textContent = '';
    Object.keys(counts).forEach(function (k) {
      var s = document.createElement('span');
      s.className = 's-' + k;
      s.dataset.status = k;
      s.textContent = k + ': ' + counts[k];
      summary.appendChild(s);
    });
  }
  function addEntry(e) {
    var li = document.createElement('li');
    li.dataset.kind = e.kind;
    li.dataset.uuid = e.member.uuid;
    var t = document.createElement('span');
    t.textContent = new Date(e.time).toISOString().slice(11, 23) + '  ';
    var k = document.createElement('span');
    k.className = 'status s-' + e.kind;
    k.textContent = e.kind;
    var w = document.createElement('span');
    w.textContent = '  ' + e.member.uri + '  ' + e.member.uuid + (e.member.isSelf ? ' (self)' : '') +
      '  [' + e.changes.join(',') + ']';
    li.appendChild(t); li.appendChild(k); li.appendChild(w);
    timeline.insertBefore(li, timeline.firstChild);
    while (timeline.childNodes.length > 500) timeline.removeChild(timeline.lastChild);
  }
  function apply(e) {
    if (e.kind === 'dropped') members.delete(e.member.uuid);
    else members.set(e.member.uuid, e.member);
  }

  var source = new EventSource('events');
  source.addEventListener('snapshot', function (msg) {
    var s = JSON.parse(msg.data);
    document.getElementById('self').textContent = s.uri + '  ' + s.uuid + (s.closed ? '  (closed)' : '');
    members.clear();
    s.members.forEach(function (m) { members.set(m.uuid, m); });
    timeline.textContent = '';
    s.timeline.forEach(addEntry);
    render();
    conn.textContent = 'live';
    conn.className = 'live';
  });
  source.addEventListener('member', function (msg) {
    var e = JSON.parse(msg.data);
    apply(e);
    addEntry(e);
    render();
  });
  source.addEventListener('closed', function () {
    conn.textContent = 'closed';
    conn.className = 'down';
  });
  source.onerror = function () {
    if (conn.className !== 'down' || conn.textContent !== 'closed') {
      conn.textContent = 'reconnecting';
      conn.className = 'down';
    }
  };
})();
</script>
</body>
</html>
`;
