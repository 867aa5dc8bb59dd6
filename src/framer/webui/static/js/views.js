// The drawing views: start frame, end frame, onion skin, all showing the same trajectories in image coordinates
// (a canvas shows the image scaled by `scale` CSS pixels per image pixel), and the list of trajectories beside them.

import { context, drawTrajectory, sizeCanvas, strokePath } from './draw.js';
import { $ } from './dom.js';
import { drawMask } from './mask.js';
import { colorOf, state } from './state.js';

const views = () => (state.view === 'side' ? ['view-start', 'view-end'] : ['view-onion-canvas']).map((id) => $(id));

export function setView(view) {
  state.view = view;
  $('view-side').setAttribute('aria-pressed', String(view === 'side'));
  $('view-onion').setAttribute('aria-pressed', String(view === 'onion'));
  $('fig-start').hidden = view !== 'side';
  $('fig-end').hidden = view !== 'side';
  $('fig-onion').hidden = view !== 'onion';
  $('onion-control').hidden = view !== 'onion';
  $('views').className = `views ${view}`;
  layoutViews();
}

export function layoutViews() {
  if (!state.set) return;
  const { width, height } = state.set;
  const box = $('views').clientWidth;
  const side = state.view === 'side';
  const gap = 16;
  let cssWidth = side ? (box - gap) / 2 : box;
  const maxHeight = Math.max(240, window.innerHeight * (side ? 0.62 : 0.72));
  cssWidth = Math.min(cssWidth, (maxHeight * width) / height, side ? 4 * width : 6 * width);
  for (const canvas of views()) sizeCanvas(canvas, cssWidth, (cssWidth * height) / width);
  drawViews();
}

export const scaleOf = (canvas) => canvas.getBoundingClientRect().width / state.set.width;

// The image point under a pointer event, clamped to the image.
export function toImage(canvas, event) {
  const rect = canvas.getBoundingClientRect();
  const { width, height } = state.set;
  const x = ((event.clientX - rect.left) / rect.width) * width - 0.5;
  const y = ((event.clientY - rect.top) / rect.height) * height - 0.5;
  return [Math.min(width - 1, Math.max(0, x)), Math.min(height - 1, Math.max(0, y))];
}

export function drawViews() {
  if (!state.set) return;
  for (const canvas of views()) drawView(canvas);
  renderTrajectoryList();
}

function drawView(canvas) {
  const kind = canvas.dataset.kind;
  const ctx = context(canvas);
  const cssWidth = canvas.getBoundingClientRect().width;
  const cssHeight = canvas.getBoundingClientRect().height;
  const first = state.images[0];
  const last = state.images[state.images.length - 1];
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  ctx.imageSmoothingEnabled = scaleOf(canvas) < 1;
  ctx.globalAlpha = 1;
  ctx.drawImage(kind === 'end' ? last : first, 0, 0, cssWidth, cssHeight);
  if (kind === 'onion') {
    ctx.globalAlpha = Number($('onion-mix').value) / 100;
    ctx.drawImage(last, 0, 0, cssWidth, cssHeight);
    ctx.globalAlpha = 1;
  }
  drawMask(ctx, cssWidth, cssHeight);
  const scale = scaleOf(canvas);
  state.trajectories.forEach((trajectory, index) => {
    drawTrajectory(ctx, trajectory, colorOf(index), scale, kind, index === state.selected);
  });
  const gesture = state.gesture;
  if (gesture && gesture.type === 'draw' && gesture.stroke.length > 1) {
    strokePath(ctx, gesture.stroke, scale, colorOf(state.trajectories.length), 2.5);
  }
}

function renderTrajectoryList() {
  const list = $('trajectory-list');
  list.replaceChildren();
  state.trajectories.forEach((trajectory, index) => {
    const item = document.createElement('li');
    item.className = index === state.selected ? 'selected' : '';
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colorOf(index);
    const label = document.createElement('span');
    const [sx, sy] = trajectory.points[0];
    const [ex, ey] = trajectory.points[trajectory.points.length - 1];
    const waypoints = trajectory.points.length - 2;
    label.textContent =
      `${trajectory.name || `trajectory ${index + 1}`}: (${Math.round(sx)}, ${Math.round(sy)}) → ` +
      `(${Math.round(ex)}, ${Math.round(ey)})` +
      (waypoints ? `, ${waypoints} waypoint${waypoints === 1 ? '' : 's'}` : '') +
      (trajectory.confidence == null ? '' : `, confidence ${trajectory.confidence.toFixed(2)}`);
    label.addEventListener('click', () => select(index));
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'plain';
    remove.textContent = '×';
    remove.title = 'Delete this trajectory';
    remove.addEventListener('click', () => deleteTrajectory(index));
    item.append(swatch, label, remove);
    list.appendChild(item);
  });
  $('no-trajectories').hidden = state.trajectories.length > 0;
}

function select(index) {
  state.selected = index;
  drawViews();
}

export function deleteTrajectory(index) {
  state.trajectories.splice(index, 1);
  state.selected = -1;
  drawViews();
}

export function clearTrajectories() {
  state.trajectories = [];
  state.selected = -1;
  drawViews();
}
