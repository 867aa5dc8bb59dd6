// framer web UI: load keyframes, draw trajectories, generate, play the result. Plain JavaScript modules, no build
// step. This module wires the page's controls to the other modules and loads the server's configuration.

import { api } from './api.js';
import { $, clearError, fillSelect, showError } from './dom.js';
import { wireCanvas } from './gestures.js';
import { cancelJob, generate } from './jobs.js';
import { addFiles, forgetSet } from './keyframes.js';
import { clearMask, setTool } from './mask.js';
import { drawPlayer, layoutPlayer, showFrame, togglePlaying } from './player.js';
import { state } from './state.js';
import { loadTrajectoryFile, runAutopilot, saveTrajectoryFile } from './trajectories.js';
import { clearTrajectories, deleteTrajectory, drawViews, layoutViews, setView } from './views.js';

function wireKeyframes() {
  const dropzone = $('dropzone');
  $('file-input').addEventListener('change', (event) => {
    addFiles(event.target.files);
    event.target.value = '';
  });
  // Files dropped anywhere on the page are keyframes (a drop outside would otherwise open the file instead).
  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropzone.classList.add('over');
  });
  document.addEventListener('dragleave', (event) => {
    if (!event.relatedTarget) dropzone.classList.remove('over');
  });
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    dropzone.classList.remove('over');
    if (state.config && event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
  });
  dropzone.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') $('file-input').click();
  });
}

function wireDrawing() {
  for (const id of ['view-start', 'view-end', 'view-onion-canvas']) wireCanvas($(id));
  $('view-side').addEventListener('click', () => setView('side'));
  $('view-onion').addEventListener('click', () => setView('onion'));
  $('onion-mix').addEventListener('input', drawViews);
  $('clear').addEventListener('click', clearTrajectories);
  $('autopilot').addEventListener('click', runAutopilot);
  $('json-input').addEventListener('change', (event) => {
    if (event.target.files.length) loadTrajectoryFile(event.target.files[0]);
    event.target.value = '';
  });
  $('save-json').addEventListener('click', saveTrajectoryFile);
  $('tool-path').addEventListener('click', () => setTool('path'));
  $('tool-paint').addEventListener('click', () => setTool('paint'));
  $('tool-erase').addEventListener('click', () => setTool('erase'));
  $('clear-mask').addEventListener('click', () => {
    clearMask();
    drawViews();
  });
  document.addEventListener('keydown', (event) => {
    const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName);
    if (!typing && (event.key === 'Delete' || event.key === 'Backspace') && state.selected >= 0) {
      event.preventDefault();
      deleteTrajectory(state.selected);
    }
  });
}

function wireResult() {
  $('generate-form').addEventListener('submit', generate);
  $('cancel').addEventListener('click', cancelJob);
  $('play').addEventListener('click', togglePlaying);
  $('scrubber').addEventListener('input', (event) => showFrame(Number(event.target.value)));
  $('overlay').addEventListener('change', () => state.result && drawPlayer());
}

function wire() {
  wireKeyframes();
  wireDrawing();
  wireResult();
  $('error-close').addEventListener('click', clearError);
  window.addEventListener('resize', () => {
    layoutViews();
    layoutPlayer();
  });
  window.addEventListener('pagehide', forgetSet);
}

async function start() {
  wire();
  try {
    state.config = await api('GET', '/api/config');
  } catch (error) {
    showError(error.message);
    return;
  }
  const config = state.config;
  fillSelect($('engine'), config.engines, config.default_engine);
  fillSelect($('timing'), config.timings, 'linear');
  $('num-frames').max = config.limits.max_frames;
  $('autopilot').title = config.autopilot
    ? 'Let framer propose trajectories from matching points'
    : 'Autopilot is not available in this framer yet';
  document.body.dataset.ready = '1';
}

start();
