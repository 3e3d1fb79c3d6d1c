// The voicewire playground: one page, no build step. It speaks the live WebSocket protocol of
// docs/protocol.md: one JSON frame per message out, chunk / word_timestamp / complete / error frames in.
// Audio plays as it arrives: pcm, wav, mulaw and alaw are decoded here and scheduled back to back on
// a WebAudio context running at the stream's own rate (no resampling, so no seams between chunks);
// mp3 goes through Media Source Extensions, which decode one continuous MPEG stream.
"use strict";

const $ = (id) => document.getElementById(id);

// What the page did, for people and for the headless browser test (tests/web/test_playground.py).
const stats = {
  turns: 0, sent: 0, chunks: 0, audioBytes: 0, words: 0, ttfaMs: null,
  scheduledSeconds: 0, highlighted: 0, completes: 0, errors: [],
};
window.voicewirePlayground = { stats };

// ---- audio decoding: bytes of the requested format -> float samples ---------------------------

function g711Table(law) {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    let value;
    if (law === "mulaw") {
      const u = ~i & 0xff;
      const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
      value = u & 0x80 ? 0x84 - t : t - 0x84;
    } else {
      const a = i ^ 0x55;
      let t = (a & 0x0f) << 4;
      const seg = (a & 0x70) >> 4;
      t = seg === 0 ? t + 8 : seg === 1 ? t + 0x108 : (t + 0x108) << (seg - 1);
      value = a & 0x80 ? t : -t;
    }
    table[i] = value / 32768;
  }
  return table;
}

class SampleDecoder {
  // Turns the byte stream of one turn into float samples, whatever the chunk boundaries.
  constructor(format) {
    this.format = format;
    this.skip = format === "wav" ? 44 : 0; // the streamed WAV header, sent once per turn
    this.carry = null; // an odd byte left between two pcm chunks
    this.table = format === "mulaw" || format === "alaw" ? g711Table(format) : null;
  }

  decode(bytes) {
    if (this.skip > 0) {
      const n = Math.min(this.skip, bytes.length);
      this.skip -= n;
      bytes = bytes.subarray(n);
    }
    if (this.table) {
      const out = new Float32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = this.table[bytes[i]];
      return out;
    }
    if (this.carry !== null) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
      bytes = joined;
      this.carry = null;
    }
    if (bytes.length % 2 === 1) {
      this.carry = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const out = new Float32Array(bytes.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true) / 32768;
    return out;
  }
}

// ---- players: push audio, ask where playback is (seconds of the turn's audio) -------------------

class WebAudioPlayer {
  constructor(format, rate) {
    this.decoder = new SampleDecoder(format);
    this.rate = rate;
    this.context = new AudioContext({ sampleRate: rate, latencyHint: "interactive" });
    this.next = 0; // context time where the next buffer starts
    this.streamSeconds = 0; // seconds of turn audio scheduled so far
    this.segments = []; // [context time, turn offset, duration] per scheduled buffer
    this.sources = new Set();
  }

  async start() {
    await this.context.resume();
  }

  push(bytes) {
    const samples = this.decoder.decode(bytes);
    if (samples.length === 0) return;
    const buffer = this.context.createBuffer(1, samples.length, this.rate);
    buffer.copyToChannel(samples, 0);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    // Back to back with the previous buffer; after an underrun, a little ahead of now.
    const at = Math.max(this.next, this.context.currentTime + 0.03);
    source.start(at);
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
    this.segments.push([at, this.streamSeconds, buffer.duration]);
    this.next = at + buffer.duration;
    this.streamSeconds += buffer.duration;
    stats.scheduledSeconds += buffer.duration;
  }

  finish() {}

  position() {
    const now = this.context.currentTime;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const [at, offset, duration] = this.segments[i];
      if (now >= at) return offset + Math.min(now - at, duration);
    }
    return null;
  }

  stop() {
    for (const source of this.sources) source.stop();
    this.context.close();
  }
}

class MediaSourcePlayer {
  // mp3: one MPEG stream appended to a SourceBuffer as chunks arrive.
  constructor() {
    this.audio = new Audio();
    this.media = new MediaSource();
    this.audio.src = URL.createObjectURL(this.media);
    this.pending = [];
    this.done = false;
    this.buffer = null;
    this.media.addEventListener("sourceopen", () => {
      this.buffer = this.media.addSourceBuffer("audio/mpeg");
      this.buffer.addEventListener("updateend", () => this.pump());
      this.pump();
    });
  }

  static supported() {
    return typeof MediaSource !== "undefined" && MediaSource.isTypeSupported("audio/mpeg");
  }

  async start() {
    this.audio.play().catch((err) => fail(`Playback refused: ${err.message}`));
  }

  push(bytes) {
    this.pending.push(bytes);
    this.pump();
  }

  finish() {
    this.done = true;
    this.pump();
  }

  pump() {
    if (!this.buffer || this.buffer.updating) return;
    if (this.pending.length > 0) {
      this.buffer.appendBuffer(this.pending.shift());
    } else if (this.done && this.media.readyState === "open") {
      this.media.endOfStream();
      stats.scheduledSeconds += this.audio.duration || 0;
    }
  }

  position() {
    return this.audio.currentTime > 0 ? this.audio.currentTime : null;
  }

  stop() {
    this.audio.pause();
    URL.revokeObjectURL(this.audio.src);
  }
}

// ---- download: the turn's bytes in a file any player opens -------------------------------------

function wavHeader(dataBytes, rate, formatCode, bitsPerSample) {
  const header = new DataView(new ArrayBuffer(44));
  const text = (offset, s) => [...s].forEach((c, i) => header.setUint8(offset + i, c.charCodeAt(0)));
  const blockAlign = bitsPerSample / 8;
  text(0, "RIFF"); header.setUint32(4, 36 + dataBytes, true); text(8, "WAVE");
  text(12, "fmt "); header.setUint32(16, 16, true); header.setUint16(20, formatCode, true);
  header.setUint16(22, 1, true); header.setUint32(24, rate, true);
  header.setUint32(28, rate * blockAlign, true); header.setUint16(32, blockAlign, true);
  header.setUint16(34, bitsPerSample, true);
  text(36, "data"); header.setUint32(40, dataBytes, true);
  return new Uint8Array(header.buffer);
}

function audioFile(parts, format, rate) {
  const size = parts.reduce((n, p) => n + p.length, 0);
  if (format === "mp3") return { blob: new Blob(parts, { type: "audio/mpeg" }), ext: "mp3" };
  if (format === "wav") {
    // The stream's header says "unknown length" (0xFFFFFFFF); a file knows its length.
    const first = parts[0].slice();
    const view = new DataView(first.buffer);
    view.setUint32(4, size - 8, true);
    view.setUint32(40, size - 44, true);
    return { blob: new Blob([first, ...parts.slice(1)], { type: "audio/wav" }), ext: "wav" };
  }
  const [code, bits] = { pcm: [1, 16], alaw: [6, 8], mulaw: [7, 8] }[format];
  return { blob: new Blob([wavHeader(size, rate, code, bits), ...parts], { type: "audio/wav" }), ext: "wav" };
}

// ---- the page ----------------------------------------------------------------------------------

let catalog = [];
let socket = null;
let turn = null; // the turn being spoken: settings, bytes, player, words, timing
let liveSent = ""; // text of the textarea already sent in live-typing mode
let liveTimer = null;

function setStatus(message, isError = false) {
  $("status").textContent = message;
  $("status").classList.toggle("error", isError);
}

function fail(message) {
  stats.errors.push(message);
  setStatus(message, true);
}

function apiKey() {
  return $("key").value.trim();
}

async function loadVoices() {
  const key = apiKey();
  if (!key) return fail("Enter an API key first (create one with `voicewire keys create`).");
  sessionStorage.setItem("voicewire-key", key);
  const response = await fetch("/waves/v1/voice/get-all-models", { headers: { Authorization: `Bearer ${key}` } });
  const body = await response.json();
  if (!response.ok) return fail(`Voices not loaded: ${body.error || response.status}`);
  catalog = body.voices;
  const models = [...new Set(catalog.map((v) => v.model))];
  $("model").replaceChildren(...models.map((m) => new Option(m, m)));
  fillVoices();
  $("speak").disabled = false;
  setStatus(`${catalog.length} voices loaded.`);
}

function fillVoices() {
  const model = $("model").value;
  const voices = catalog.filter((v) => v.model === model);
  $("voice").replaceChildren(...voices.map((v) => {
    const label = v.installed ? v.displayName : `${v.displayName} (not installed: voicewire voices install ${v.voiceId})`;
    return new Option(label, v.voiceId);
  }));
}

function settings() {
  return {
    model: $("model").value,
    voice_id: $("voice").value,
    output_format: $("format").value,
    sample_rate: Number($("rate").value),
    speed: Number($("speed").value),
    word_timestamps: true,
  };
}

function openSocket() {
  if (socket && socket.readyState <= WebSocket.OPEN) return socket;
  const key = apiKey();
  if (!/^[A-Za-z0-9._~-]+$/.test(key)) {
    fail("This key has characters a browser cannot send on a WebSocket; use a key made by voicewire.");
    return null;
  }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // Browsers cannot set an Authorization header on a WebSocket: the key rides as a subprotocol.
  socket = new WebSocket(`${scheme}://${location.host}/waves/v1/tts/live`, ["voicewire", `authorization.bearer.${key}`]);
  let opened = false;
  socket.onopen = () => { opened = true; };
  socket.onmessage = (event) => onFrame(JSON.parse(event.data));
  socket.onclose = (event) => {
    if (!opened) fail("The server refused the connection: a revoked key, or too many connections for this key.");
    else if (turn && !turn.done) fail(`Connection closed (${event.code}${event.reason ? ": " + event.reason : ""}).`);
    socket = null;
  };
  return socket;
}

function send(message) {
  const ws = openSocket();
  if (!ws) return;
  const payload = JSON.stringify(message);
  stats.sent += 1;
  if (ws.readyState === WebSocket.OPEN) ws.send(payload);
  else ws.addEventListener("open", () => ws.send(payload), { once: true });
}

function startTurn(config) {
  if (turn) turn.player.stop();
  const usesMse = config.output_format === "mp3";
  if (usesMse && !MediaSourcePlayer.supported()) {
    fail("This browser cannot stream mp3 (no Media Source support for audio/mpeg); choose another format.");
    return false;
  }
  const player = usesMse ? new MediaSourcePlayer() : new WebAudioPlayer(config.output_format, config.sample_rate);
  turn = { config, player, parts: [], words: [], sentAt: performance.now(), firstAudio: false, done: false };
  stats.turns += 1;
  player.start();
  $("transcript").replaceChildren();
  $("download").classList.add("hidden");
  $("ttfa").textContent = "…";
  $("seconds").textContent = "–";
  $("words").textContent = "0";
  setStatus("Speaking…");
  return true;
}

function speak() {
  const text = $("text").value;
  if (!text.trim()) return fail("There is no text to speak.");
  const config = settings();
  if (!startTurn(config)) return;
  send({ ...config, text, continue: false, flush: true });
}

function onFrame(frame) {
  if (!turn) return;
  if (frame.status === "chunk") {
    const bytes = Uint8Array.from(atob(frame.data.audio), (c) => c.charCodeAt(0));
    if (!turn.firstAudio) {
      turn.firstAudio = true;
      stats.ttfaMs = Math.round(performance.now() - turn.sentAt);
      $("ttfa").textContent = `${stats.ttfaMs} ms`;
    }
    stats.chunks += 1;
    stats.audioBytes += bytes.length;
    turn.parts.push(bytes);
    turn.player.push(bytes);
  } else if (frame.status === "word_timestamp") {
    const span = document.createElement("span");
    span.textContent = frame.data.word;
    turn.words.push({ start: frame.data.start, end: frame.data.end, span });
    $("transcript").append(span, " ");
    stats.words += 1;
    $("words").textContent = String(turn.words.length);
  } else if (frame.status === "complete") {
    turn.done = true;
    stats.completes += 1;
    turn.player.finish();
    offerDownload();
    setStatus("All audio received.");
  } else if (frame.status === "error") {
    fail(`Error (${frame.code || "error"}): ${frame.message}`);
  }
}

function offerDownload() {
  if (turn.parts.length === 0) return;
  const { blob, ext } = audioFile(turn.parts, turn.config.output_format, turn.config.sample_rate);
  const link = $("download");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = `voicewire.${ext}`;
  link.classList.remove("hidden");
  const bytesPerSecond = { pcm: 2, wav: 2, mulaw: 1, alaw: 1 }[turn.config.output_format];
  const seconds = bytesPerSecond ? (blob.size - 44) / bytesPerSecond / turn.config.sample_rate : null;
  $("seconds").textContent = seconds === null ? "mp3" : `${seconds.toFixed(2)} s`;
}

// Word highlighting: the word whose [start, end) holds the playback position of the turn's audio.
function highlight() {
  const position = turn ? turn.player.position() : null;
  if (position !== null) {
    for (const word of turn.words) {
      const now = position >= word.start && position < word.end;
      if (now && !word.span.classList.contains("now")) stats.highlighted += 1;
      word.span.classList.toggle("now", now);
      word.span.classList.toggle("spoken", position >= word.end);
    }
  }
  requestAnimationFrame(highlight);
}

// Live typing: what was appended to the text goes out with continue: true; Enter flushes the turn.
function onLiveInput() {
  if (!$("live").checked) return;
  clearTimeout(liveTimer);
  liveTimer = setTimeout(sendTyped, 120);
}

function sendTyped(flush = false) {
  const text = $("text").value;
  if (!text.startsWith(liveSent)) liveSent = ""; // edited, not appended: start over from here
  const fresh = text.slice(liveSent.length);
  if (!fresh && !flush) return;
  if (!turn || turn.done) {
    if (!fresh.trim()) return;
    if (!startTurn(settings())) return;
  }
  liveSent = text;
  send({ ...turn.config, text: fresh, continue: !flush, flush });
}

function onLiveKey(event) {
  if (!$("live").checked || event.key !== "Enter" || event.shiftKey) return;
  event.preventDefault();
  clearTimeout(liveTimer);
  sendTyped(true);
}

function stop() {
  if (socket) socket.close(1000, "stopped");
  if (turn) {
    turn.done = true;
    turn.player.stop();
  }
  setStatus("Stopped.");
}

window.addEventListener("error", (event) => stats.errors.push(String(event.message)));
window.addEventListener("unhandledrejection", (event) => fail(String(event.reason)));
$("key").value = sessionStorage.getItem("voicewire-key") || "";
$("load").addEventListener("click", () => loadVoices().catch((err) => fail(err.message)));
$("model").addEventListener("change", fillVoices);
$("speed").addEventListener("input", () => { $("speed-value").textContent = Number($("speed").value).toFixed(2); });
$("speak").addEventListener("click", () => ($("live").checked ? sendTyped(true) : speak()));
$("stop").addEventListener("click", stop);
$("text").addEventListener("input", onLiveInput);
$("text").addEventListener("keydown", onLiveKey);
$("live").addEventListener("change", () => {
  liveSent = $("live").checked ? "" : liveSent;
  $("speak").textContent = $("live").checked ? "Flush" : "Speak";
});
requestAnimationFrame(highlight);
