// Generating: submit a job, follow the server's events (server-sent, with a status request if they break off),
// show its progress, cancel it, and hand a finished one to the player.

import { api } from './api.js';
import { $, clearError, loadImage, showError } from './dom.js';
import { maskDataUrl } from './mask.js';
import { showResult } from './player.js';
import { state } from './state.js';
import { trajectoryFile } from './trajectories.js';

const FINAL = ['done', 'failed', 'cancelled'];

export async function generate(event) {
  event.preventDefault();
  clearError();
  if (!state.set) return;
  const trajectories = state.trajectories.map((t) => ({ ...t, points: t.points.map((p) => p.slice()) }));
  const body = {
    keyframes: state.set.id,
    engine: $('engine').value,
    num_frames: Number($('num-frames').value),
    timing: $('timing').value,
    fps: Number($('fps').value),
    include_keyframes: $('include-keyframes').checked,
    trajectories: trajectories.length ? trajectoryFile(trajectories, state.set.width, state.set.height) : null,
    static_mask: maskDataUrl(),
  };
  setBusy(true);
  showProgress({ state: 'queued', position: 0, done: 0, total: 0, message: 'Sending…' });
  let job;
  try {
    job = await api('POST', '/api/jobs', body);
  } catch (error) {
    setBusy(false);
    $('progress-box').hidden = true;
    showError(error.message);
    return;
  }
  state.job = { id: job.id, trajectories };
  follow(job);
}

function follow(job) {
  showProgress(job);
  if (state.events) state.events.close();
  const events = new EventSource(`/api/jobs/${job.id}/events`);
  state.events = events;
  events.onmessage = (message) => {
    const status = JSON.parse(message.data);
    showProgress(status);
    if (FINAL.includes(status.state)) {
      events.close();
      state.events = null;
      finish(status);
    }
  };
  events.onerror = () => {
    if (state.events !== events) return;
    events.close();
    state.events = null;
    api('GET', `/api/jobs/${job.id}`)
      .then((status) => (FINAL.includes(status.state) ? finish(status) : follow(status)))
      .catch((error) => {
        setBusy(false);
        showError(error.message);
      });
  };
}

function showProgress(status) {
  $('progress-box').hidden = false;
  const bar = $('progress');
  let text;
  if (status.state === 'queued') {
    bar.removeAttribute('value');
    text =
      status.position > 0
        ? `Waiting in the queue: ${status.position} job${status.position === 1 ? '' : 's'} ahead of yours.`
        : status.message || 'Starting…';
  } else if (status.state === 'running') {
    if (status.total > 0) {
      bar.max = status.total;
      bar.value = status.done;
    }
    text = `${status.message || 'Working…'} ${status.done} of ${status.total} frames.`;
  } else if (status.state === 'done') {
    bar.max = 1;
    bar.value = 1;
    text = `Done: ${status.frames.length} frames.`;
  } else if (status.state === 'cancelled') {
    bar.max = 1;
    bar.value = 0;
    text = 'Cancelled.';
  } else {
    bar.max = 1;
    bar.value = 0;
    text = 'Failed.';
  }
  $('progress-text').textContent = text;
  $('progress-box').dataset.state = status.state;
}

function setBusy(busy) {
  $('generate').disabled = busy;
  $('cancel').hidden = !busy;
  $('cancel').disabled = false;
}

export async function cancelJob() {
  if (!state.job) return;
  $('cancel').disabled = true;
  try {
    await api('POST', `/api/jobs/${state.job.id}/cancel`);
  } catch (error) {
    showError(error.message);
  }
}

async function finish(status) {
  setBusy(false);
  if (status.state === 'failed') {
    showError(status.message);
    return;
  }
  if (status.state !== 'done') return;
  let images;
  try {
    images = await Promise.all(status.frames.map(loadImage));
  } catch (error) {
    showError(error.message);
    return;
  }
  showResult(status, images);
}
