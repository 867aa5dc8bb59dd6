// The player: a finished job's frames in a loop at its frame rate, a scrubber, the trajectories drawn over them,
// each frame's confidence (in the label and as a strip of bars under the timeline), and its download links.

import { curveOf, polylineOf, sampleCurve } from './curves.js';
import { context, dot, sizeCanvas, strokePath } from './draw.js';
import { $ } from './dom.js';
import { colorOf, state } from './state.js';

export function showResult(status, images) {
  stopPlaying();
  const job = state.job || { trajectories: [] };
  state.result = { status, images, trajectories: job.trajectories, index: 0, timer: null };
  $('result-section').hidden = false;
  const scrubber = $('scrubber');
  scrubber.max = images.length - 1;
  scrubber.value = 0;
  for (const kind of ['mp4', 'gif', 'zip', 'json']) {
    const link = $(`download-${kind}`);
    const url = status.downloads[kind];
    link.hidden = !url;
    if (url) link.href = url;
  }
  $('overlay').disabled = !job.trajectories.length;
  layoutPlayer();
  startPlaying();
  $('player').dataset.frames = String(images.length);
  $('result-section').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
}

export function layoutPlayer() {
  const result = state.result;
  if (!result) return;
  const { width, height } = result.status;
  const box = $('result-section').clientWidth - 40;
  const cssWidth = Math.min(box, (window.innerHeight * 0.7 * width) / height, 4 * width);
  sizeCanvas($('player'), cssWidth, (cssWidth * height) / width);
  drawPlayer();
}

export function drawPlayer() {
  const result = state.result;
  const canvas = $('player');
  const ctx = context(canvas);
  const rect = canvas.getBoundingClientRect();
  const index = result.index;
  ctx.clearRect(0, 0, rect.width, rect.height);
  ctx.imageSmoothingEnabled = rect.width < result.status.width;
  ctx.drawImage(result.images[index], 0, 0, rect.width, rect.height);
  const t = result.status.frame_times[index];
  if ($('overlay').checked) {
    const scale = rect.width / result.status.width;
    result.trajectories.forEach((trajectory, i) => {
      const color = colorOf(i);
      const curve = curveOf(trajectory);
      strokePath(ctx, polylineOf(trajectory), scale, color, 2);
      for (const time of result.status.frame_times) dot(ctx, sampleCurve(curve, time), scale, 2, color, color);
      dot(ctx, sampleCurve(curve, t), scale, 6, color, '#111');
    });
  }
  $('scrubber').value = index;
  const confidence = confidenceOf(result.status, index);
  const trust = confidence === null ? '' : `, confidence ${confidence.toFixed(2)}`;
  $('frame-label').textContent = `frame ${index + 1} of ${result.images.length}, t = ${t.toFixed(3)}${trust}`;
  drawConfidence(result.status, index);
}

// The engine's confidence in frame `index`, 0 to 1 (null from a server that does not send it).
export function confidenceOf(status, index) {
  const values = status.frame_confidence;
  return values && index < values.length ? values[index] : null;
}

function drawConfidence(status, current) {
  const canvas = $('confidence-strip');
  const values = status.frame_confidence || [];
  canvas.hidden = values.length === 0;
  if (canvas.hidden) return;
  const width = canvas.clientWidth || 640;
  const height = canvas.clientHeight || 28;
  sizeCanvas(canvas, width, height);
  const ctx = context(canvas);
  const step = width / values.length;
  values.forEach((value, i) => {
    const bar = Math.max(1, value * (height - 2));
    ctx.fillStyle = value < 0.5 ? '#d9534f' : '#5cb85c';
    ctx.fillRect(i * step + 0.5, height - 1 - bar, Math.max(1, step - 1), bar);
  });
  ctx.strokeStyle = '#111';
  ctx.lineWidth = 1.5;
  ctx.strokeRect(current * step + 0.5, 0.75, Math.max(1, step - 1), height - 1.5);
}

export function startPlaying() {
  const result = state.result;
  stopPlaying();
  const interval = 1000 / Math.max(1, result.status.fps);
  result.timer = setInterval(() => {
    result.index = (result.index + 1) % result.images.length;
    drawPlayer();
  }, interval);
  $('play').textContent = 'Pause';
}

export function stopPlaying() {
  if (state.result && state.result.timer) {
    clearInterval(state.result.timer);
    state.result.timer = null;
  }
  $('play').textContent = 'Play';
}

export function togglePlaying() {
  if (state.result && state.result.timer) stopPlaying();
  else startPlaying();
}

export function showFrame(index) {
  stopPlaying();
  state.result.index = index;
  drawPlayer();
}
