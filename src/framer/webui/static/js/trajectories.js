// Trajectory files (the format of docs/trajectory-format.md): save, load (checked by the server), and the
// autopilot's proposals, which arrive in the same format.

import { api } from './api.js';
import { $, clearError, download, showError } from './dom.js';
import { state } from './state.js';
import { drawViews } from './views.js';

export function trajectoryFile(trajectories, width, height) {
  return {
    format: 'framer-trajectories',
    version: state.config.trajectory_format_version,
    width,
    height,
    trajectories: trajectories.map((t) => {
      const item = {};
      if (t.name) item.name = t.name;
      item.points = t.points.map((p) => [p[0], p[1]]);
      if (t.times) item.times = t.times.slice();
      if (t.interpolation && t.interpolation !== 'catmull-rom') item.interpolation = t.interpolation;
      if (typeof t.confidence === 'number') item.confidence = t.confidence;
      return item;
    }),
  };
}

function fromFile(data) {
  return data.trajectories.map((item) => ({
    name: item.name || null,
    points: item.points.map((p) => [p[0], p[1]]),
    times: item.times || null,
    interpolation: item.interpolation || 'catmull-rom',
    confidence: typeof item.confidence === 'number' ? item.confidence : null,
  }));
}

export function saveTrajectoryFile() {
  const file = trajectoryFile(state.trajectories, state.set.width, state.set.height);
  download('trajectories.json', JSON.stringify(file, null, 2) + '\n');
}

export async function loadTrajectoryFile(file) {
  clearError();
  let data;
  try {
    data = JSON.parse(await file.text());
  } catch (error) {
    showError(`${file.name} is not a JSON file: ${error.message}`);
    return;
  }
  try {
    const checked = await api('POST', '/api/trajectories/check', { keyframes: state.set.id, trajectories: data });
    state.trajectories = fromFile(checked.trajectories);
    state.selected = -1;
    drawViews();
  } catch (error) {
    showError(`${file.name}: ${error.message}`);
  }
}

export async function runAutopilot() {
  clearError();
  const button = $('autopilot');
  button.disabled = true;
  button.textContent = 'Autopilot…';
  try {
    const proposed = await api('POST', `/api/keyframes/${state.set.id}/autopilot`);
    const added = fromFile(proposed.trajectories).map((t, i) => ({ ...t, name: t.name || `auto ${i + 1}` }));
    state.trajectories = state.trajectories.concat(added);
    $('autopilot-status').textContent = `${proposed.reason.charAt(0).toUpperCase()}${proposed.reason.slice(1)}.`;
    $('autopilot-status').hidden = false;
    drawViews();
  } catch (error) {
    showError(error.message);
  } finally {
    button.disabled = false;
    button.textContent = 'Autopilot';
  }
}
