// Keyframes: choose or drop image files, upload them as a keyframe set, list them; trajectories follow a new size.

import { api, deleteKeyframeSet } from './api.js';
import { roundPoint } from './curves.js';
import { $, clearError, loadImage, showError } from './dom.js';
import { resetMask } from './mask.js';
import { state } from './state.js';
import { layoutViews } from './views.js';

export function addFiles(fileList) {
  const added = [...fileList].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  if (!added.length) return;
  const limits = state.config.limits;
  if (state.files.length + added.length > limits.max_keyframes) {
    showError(`At most ${limits.max_keyframes} keyframes can be used at once.`);
    return;
  }
  state.files = state.files.concat(added);
  uploadKeyframes();
}

function removeFile(index) {
  state.files.splice(index, 1);
  uploadKeyframes();
}

function renderKeyframeList() {
  const list = $('keyframe-list');
  list.replaceChildren();
  state.files.forEach((file, index) => {
    const item = document.createElement('li');
    if (state.set && state.images[index]) {
      const thumb = document.createElement('img');
      thumb.src = state.images[index].src;
      thumb.alt = `keyframe ${index + 1}`;
      item.appendChild(thumb);
    }
    const label = document.createElement('span');
    label.textContent = `${index + 1}. ${file.name}`;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'plain';
    remove.textContent = '×';
    remove.title = `Remove ${file.name}`;
    remove.addEventListener('click', () => removeFile(index));
    item.append(label, remove);
    list.appendChild(item);
  });
}

export function forgetSet() {
  if (state.set) deleteKeyframeSet(state.set.id);
  state.set = null;
  state.images = [];
}

async function uploadKeyframes() {
  clearError();
  renderKeyframeList();
  const previous = state.set;
  if (state.files.length < 2) {
    forgetSet();
    $('keyframe-status').textContent = state.files.length ? 'Add at least one more keyframe.' : '';
    showSections();
    return;
  }
  const bytes = state.files.reduce((sum, file) => sum + file.size, 0);
  const limit = state.config.limits.max_request_bytes;
  if (bytes > limit) {
    const mib = (n, digits) => (n / 2 ** 20).toFixed(digits);
    showError(`These files add up to ${mib(bytes, 1)} MiB; the server takes at most ${mib(limit, 0)} MiB at once.`);
    return;
  }
  const form = new FormData();
  for (const file of state.files) form.append('files', file, file.name);
  $('keyframe-status').textContent = 'Uploading…';
  let set;
  try {
    set = await api('POST', '/api/keyframes', form);
  } catch (error) {
    $('keyframe-status').textContent = '';
    showError(error.message);
    return;
  }
  const images = await Promise.all(set.previews.map(loadImage));
  forgetSet();
  state.set = set;
  state.images = images;
  resetMask(set.width, set.height); // a set of another size starts with an empty mask
  if (previous && (previous.width !== set.width || previous.height !== set.height)) {
    state.trajectories = state.trajectories.map((t) => rescaleTrajectory(t, previous, set));
  }
  const notes = set.notes.length ? ` ${set.notes.join(' ')}` : '';
  $('keyframe-status').textContent = `${set.count} keyframes of ${set.width}×${set.height} pixels.${notes}`;
  $('end-caption').textContent = `End: keyframe ${set.count}`;
  renderKeyframeList();
  showSections();
  layoutViews();
}

function rescaleTrajectory(trajectory, from, to) {
  // Pixel centres map onto pixel centres, as framer.trajectory's Trajectory.resized does.
  const scale = (v, a, b) => Math.min(b - 1, Math.max(0, ((v + 0.5) * b) / a - 0.5));
  const points = trajectory.points.map((p) =>
    roundPoint([scale(p[0], from.width, to.width), scale(p[1], from.height, to.height)]),
  );
  return { ...trajectory, points };
}

function showSections() {
  const ready = Boolean(state.set);
  $('draw-section').hidden = !ready;
  $('generate-section').hidden = !ready;
}
