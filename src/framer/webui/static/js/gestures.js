// Pointer gestures on the views: draw a new trajectory, move a point, add or remove waypoints.

import { curveOf, fitStroke, roundPoint, sampleCurve } from './curves.js';
import { endStroke, paintSegment } from './mask.js';
import { state } from './state.js';
import { drawViews, scaleOf, toImage } from './views.js';

const HANDLE = 9; // CSS pixels within which a press grabs a point
const FIT_TOLERANCE = 0.75; // image pixels between a drawn stroke and the trajectory fitted to it ...
const FIT_TOLERANCE_CSS = 1.5; // ... or CSS pixels, whichever is more (pointer positions are whole CSS pixels)

function hitPoint(canvas, p) {
  const radius = HANDLE / scaleOf(canvas);
  let best = null;
  const order = state.trajectories.map((_, i) => i).sort((a, b) => (b === state.selected) - (a === state.selected));
  for (const i of order) {
    state.trajectories[i].points.forEach((q, j) => {
      const d = Math.hypot(q[0] - p[0], q[1] - p[1]);
      if (d <= radius && (!best || d < best.distance - 1e-9)) best = { trajectory: i, point: j, distance: d };
    });
    if (best) return best;
  }
  return best;
}

function hitPath(canvas, p) {
  const radius = HANDLE / scaleOf(canvas);
  let best = null;
  state.trajectories.forEach((trajectory, i) => {
    const curve = curveOf(trajectory);
    for (let k = 0; k <= 200; k++) {
      const t = k / 200;
      const q = sampleCurve(curve, t);
      const d = Math.hypot(q[0] - p[0], q[1] - p[1]);
      if (d <= radius && (!best || d < best.distance)) best = { trajectory: i, t, distance: d, knots: curve.knots };
    }
  });
  return best;
}

function onPointerDown(event) {
  if (!state.set || event.button !== 0) return;
  const canvas = event.currentTarget;
  const p = toImage(canvas, event);
  canvas.setPointerCapture(event.pointerId);
  if (state.tool !== 'path') {
    state.gesture = { type: 'paint', canvas, last: p, erase: state.tool === 'erase' };
    paintSegment(p, p, state.gesture.erase);
    event.preventDefault();
    drawViews();
    return;
  }
  const hit = hitPoint(canvas, p);
  if (hit) {
    state.selected = hit.trajectory;
    state.gesture = { type: 'move', canvas, ...hit };
  } else if (canvas.dataset.kind !== 'end') {
    state.gesture = { type: 'draw', canvas, stroke: [p] };
  } else {
    const path = hitPath(canvas, p);
    state.selected = path ? path.trajectory : -1;
    state.gesture = null;
  }
  event.preventDefault();
  drawViews();
}

function onPointerMove(event) {
  const canvas = event.currentTarget;
  const gesture = state.gesture;
  if (!state.set) return;
  if (!gesture || gesture.canvas !== canvas) {
    const grab = state.tool === 'path' && hitPoint(canvas, toImage(canvas, event));
    canvas.style.cursor = grab ? 'grab' : 'crosshair';
    return;
  }
  const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  if (gesture.type === 'paint') {
    for (const move of moves.length ? moves : [event]) {
      const p = toImage(canvas, move);
      paintSegment(gesture.last, p, gesture.erase);
      gesture.last = p;
    }
  } else if (gesture.type === 'draw') {
    for (const move of moves.length ? moves : [event]) {
      const p = toImage(canvas, move);
      const last = gesture.stroke[gesture.stroke.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= 0.25) gesture.stroke.push(p);
    }
  } else {
    const trajectory = state.trajectories[gesture.trajectory];
    trajectory.points[gesture.point] = roundPoint(toImage(canvas, event));
    canvas.style.cursor = 'grabbing';
  }
  drawViews();
}

function onPointerUp(event) {
  const canvas = event.currentTarget;
  const gesture = state.gesture;
  state.gesture = null;
  if (!gesture || gesture.canvas !== canvas) return;
  if (gesture.type === 'paint') {
    endStroke();
  } else if (gesture.type === 'draw') {
    const stroke = gesture.stroke;
    const end = toImage(canvas, event);
    const last = stroke[stroke.length - 1];
    if (Math.hypot(end[0] - last[0], end[1] - last[1]) > 0) stroke.push(end);
    const length = stroke.reduce(
      (sum, p, k) => (k ? sum + Math.hypot(p[0] - stroke[k - 1][0], p[1] - stroke[k - 1][1]) : 0),
      0,
    );
    if (length * scaleOf(canvas) < 6) {
      const path = hitPath(canvas, stroke[0]); // a click: select what is under it
      state.selected = path ? path.trajectory : -1;
    } else {
      state.drawn += 1;
      const tolerance = Math.max(FIT_TOLERANCE, FIT_TOLERANCE_CSS / scaleOf(canvas));
      state.trajectories.push({ name: `drag ${state.drawn}`, ...fitStroke(stroke, tolerance) });
      state.selected = state.trajectories.length - 1;
    }
  } else {
    const trajectory = state.trajectories[gesture.trajectory];
    trajectory.times = null; // moved points: steady speed along the new path
    trajectory.confidence = null; // an edited trajectory is no longer the one that was rated
  }
  drawViews();
}

function onPointerCancel() {
  if (state.gesture && state.gesture.type === 'paint') endStroke();
  state.gesture = null;
  drawViews();
}

function onDoubleClick(event) {
  const canvas = event.currentTarget;
  if (!state.set || state.tool !== 'path') return;
  const p = toImage(canvas, event);
  const hit = hitPoint(canvas, p);
  if (hit) {
    const trajectory = state.trajectories[hit.trajectory];
    const inner = hit.point > 0 && hit.point < trajectory.points.length - 1;
    if (inner) {
      trajectory.points.splice(hit.point, 1);
      trajectory.times = null;
      trajectory.confidence = null;
    }
  } else {
    const path = hitPath(canvas, p);
    if (path) {
      const trajectory = state.trajectories[path.trajectory];
      let k = 0;
      while (k < path.knots.length - 2 && path.t >= path.knots[k + 1]) k++;
      trajectory.points.splice(k + 1, 0, roundPoint(sampleCurve(curveOf(trajectory), path.t)));
      trajectory.times = null;
      trajectory.confidence = null;
      state.selected = path.trajectory;
    }
  }
  drawViews();
}

// Draw and edit on this canvas.
export function wireCanvas(canvas) {
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointercancel', onPointerCancel);
  canvas.addEventListener('dblclick', onDoubleClick);
}
