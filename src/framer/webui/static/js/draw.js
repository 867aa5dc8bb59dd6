// Canvas drawing for the framer web UI: trajectories (path, waypoints, start and end markers) over a frame.
//
// A canvas shows an image scaled by `scale` CSS pixels per image pixel; points are image pixels with the centre of
// the top-left pixel at (0, 0). An ES module.

import { polylineOf } from './curves.js';

export function sizeCanvas(canvas, cssWidth, cssHeight) {
  const ratio = window.devicePixelRatio || 1;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.round(cssWidth * ratio);
  canvas.height = Math.round(cssHeight * ratio);
}

export function context(canvas) {
  const ctx = canvas.getContext('2d');
  const shown = canvas.getBoundingClientRect().width;
  const ratio = shown > 0 ? canvas.width / shown : 1;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

const css = (p, scale) => [(p[0] + 0.5) * scale, (p[1] + 0.5) * scale];

export function strokePath(ctx, points, scale, color, width) {
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  for (const [style, extra] of [
    ['rgba(0, 0, 0, 0.55)', 2.5],
    [color, 0],
  ]) {
    ctx.beginPath();
    points.forEach((p, k) => {
      const [x, y] = css(p, scale);
      if (k === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.strokeStyle = style;
    ctx.lineWidth = width + extra;
    ctx.stroke();
  }
}

export function dot(ctx, p, scale, radius, fill, ring) {
  const [x, y] = css(p, scale);
  ctx.beginPath();
  ctx.arc(x, y, radius, 0, 2 * Math.PI);
  if (fill) {
    ctx.fillStyle = fill;
    ctx.fill();
  }
  ctx.lineWidth = 2;
  ctx.strokeStyle = ring;
  ctx.stroke();
}

function arrowhead(ctx, line, scale, color) {
  const end = css(line[line.length - 1], scale);
  let k = line.length - 2;
  while (k > 0 && Math.hypot(...css(line[k], scale).map((v, a) => v - end[a])) < 12) k--;
  const back = css(line[k], scale);
  const length = Math.hypot(end[0] - back[0], end[1] - back[1]);
  if (length < 1) return;
  const ux = (end[0] - back[0]) / length;
  const uy = (end[1] - back[1]) / length;
  ctx.beginPath();
  ctx.moveTo(end[0] + ux * 3, end[1] + uy * 3);
  ctx.lineTo(end[0] - ux * 11 - uy * 6, end[1] - uy * 11 + ux * 6);
  ctx.lineTo(end[0] - ux * 11 + uy * 6, end[1] - uy * 11 - ux * 6);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = 'rgba(0, 0, 0, 0.7)';
  ctx.stroke();
}

export function drawTrajectory(ctx, trajectory, color, scale, kind, selected) {
  const line = polylineOf(trajectory);
  strokePath(ctx, line, scale, color, selected ? 4 : 2.5);
  arrowhead(ctx, line, scale, color);
  const points = trajectory.points;
  for (const p of points.slice(1, -1)) {
    const [x, y] = css(p, scale);
    ctx.fillStyle = '#fff';
    ctx.fillRect(x - 3.5, y - 3.5, 7, 7);
    ctx.lineWidth = 2;
    ctx.strokeStyle = color;
    ctx.strokeRect(x - 3.5, y - 3.5, 7, 7);
  }
  const startBig = kind !== 'end';
  const endBig = kind !== 'start';
  dot(ctx, points[0], scale, startBig ? 6.5 : 4, startBig ? color : null, startBig ? '#111' : color);
  dot(ctx, points[points.length - 1], scale, endBig ? 7.5 : 4.5, null, endBig ? '#fff' : color);
  if (endBig) dot(ctx, points[points.length - 1], scale, 5, color, '#111');
}
