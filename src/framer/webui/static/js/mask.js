// The static mask: a brush paints, over the keyframes, where the picture is to be kept still (logos, subtitles);
// each in-between shows the nearer keyframe there, unwarped. The mask lives in an off-screen canvas of the keyframes'
// size (opaque white = keep still, transparent = not) and goes with the job as a PNG data URL (`static_mask`).

import { $ } from './dom.js';
import { state } from './state.js';

const TINT = 'rgb(0, 190, 255)';
let mask = null; // off-screen canvas, image pixels
let tint = null; // the mask in TINT, for the views
let painted = false;

export function resetMask(width, height) {
  if (mask && mask.width === width && mask.height === height) return;
  mask = document.createElement('canvas');
  tint = document.createElement('canvas');
  mask.width = tint.width = width;
  mask.height = tint.height = height;
  painted = false;
  showMaskState();
}

export function clearMask() {
  if (!mask) return;
  mask.getContext('2d').clearRect(0, 0, mask.width, mask.height);
  tint.getContext('2d').clearRect(0, 0, tint.width, tint.height);
  painted = false;
  showMaskState();
}

export function setTool(tool) {
  state.tool = tool;
  for (const [id, name] of [
    ['tool-path', 'path'],
    ['tool-paint', 'paint'],
    ['tool-erase', 'erase'],
  ]) {
    $(id).setAttribute('aria-pressed', String(tool === name));
  }
  $('brush-control').hidden = tool === 'path';
}

export const brushSize = () => Number($('brush-size').value);

// Paint (or erase) a stroke segment from `from` to `to`, image pixels with the centre of the top-left one at (0, 0).
export function paintSegment(from, to, erase) {
  if (!mask) return;
  const ctx = mask.getContext('2d');
  ctx.globalCompositeOperation = erase ? 'destination-out' : 'source-over';
  ctx.strokeStyle = ctx.fillStyle = '#fff';
  ctx.lineWidth = brushSize();
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(from[0] + 0.5, from[1] + 0.5);
  ctx.lineTo(to[0] + 0.5 + 1e-3, to[1] + 0.5); // a zero-length line draws no round cap in some browsers
  ctx.stroke();
  ctx.globalCompositeOperation = 'source-over';
  if (!erase) painted = true;
  const shade = tint.getContext('2d');
  shade.globalCompositeOperation = 'copy';
  shade.drawImage(mask, 0, 0);
  shade.globalCompositeOperation = 'source-in';
  shade.fillStyle = TINT;
  shade.fillRect(0, 0, tint.width, tint.height);
  shade.globalCompositeOperation = 'source-over';
}

export function endStroke() {
  painted = painted && hasPaint();
  showMaskState();
}

function hasPaint() {
  const pixels = mask.getContext('2d').getImageData(0, 0, mask.width, mask.height).data;
  for (let k = 3; k < pixels.length; k += 4) if (pixels[k] >= 128) return true;
  return false;
}

// Draw the mask, tinted and half transparent, over a view `cssWidth` x `cssHeight` CSS pixels.
export function drawMask(ctx, cssWidth, cssHeight) {
  if (!painted) return;
  ctx.save();
  ctx.globalAlpha = 0.45;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tint, 0, 0, cssWidth, cssHeight);
  ctx.restore();
}

// The mask for the job: a PNG data URL, white (kept still) on black, or null when nothing is painted.
export function maskDataUrl() {
  if (!painted) return null;
  const out = document.createElement('canvas');
  out.width = mask.width;
  out.height = mask.height;
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(mask, 0, 0);
  return out.toDataURL('image/png');
}

function showMaskState() {
  $('clear-mask').disabled = !painted;
  $('mask-status').hidden = !painted;
}
