// framer web UI: load keyframes, draw trajectories, generate, play the result. Plain JavaScript, no build step.
//
// Coordinates: trajectory points are image pixels with the centre of the top-left pixel at (0, 0), as in
// docs/trajectory-format.md; a canvas shows the image scaled by `scale` CSS pixels per image pixel.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const HANDLE = 9; // CSS pixels within which a press grabs a point
  const FIT_TOLERANCE = 0.75; // image pixels between a drawn stroke and the trajectory fitted to it ...
  const FIT_TOLERANCE_CSS = 1.5; // ... or CSS pixels, whichever is more (pointer positions are whole CSS pixels)
  const { curveOf, fitStroke, polylineOf, roundPoint, sampleCurve } = window.framerCurves;
  const { context, dot, drawTrajectory, sizeCanvas, strokePath } = window.framerDraw;

  const state = {
    config: null,
    files: [], // File objects, in keyframe order
    set: null, // the server's keyframe set: {id, count, width, height, previews, names, notes}
    images: [], // preview images of the set
    trajectories: [], // {name, points: [[x, y], ...], times: null | [...], interpolation, confidence: null | 0..1}
    selected: -1,
    view: 'side',
    gesture: null, // what the pointer is doing: {type: 'draw' | 'move', ...}
    drawn: 0, // trajectories drawn so far (for names)
    job: null,
    events: null,
    result: null, // {status, images, trajectories, index, timer}
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Server calls and messages.

  async function api(method, url, body) {
    const options = { method, headers: {} };
    if (method !== 'GET') options.headers['X-Framer-Request'] = '1';
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      throw new Error('The framer server cannot be reached; is `framer serve` still running?');
    }
    if (!response.ok) {
      let message = null;
      try {
        message = (await response.json()).error;
      } catch (error) {
        message = null;
      }
      throw new Error(message || `The server answered ${response.status} ${response.statusText}.`);
    }
    return response.status === 204 ? null : response.json();
  }

  function showError(message) {
    $('error-text').textContent = message;
    $('error').hidden = false;
  }

  function clearError() {
    $('error').hidden = true;
  }

  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  const colorOf = (index) => {
    const palette = state.config ? state.config.palette : ['#e6194b'];
    if (index < palette.length) return palette[index];
    return `hsl(${Math.round(((index * 0.618033988749895) % 1) * 360)}, 85%, 55%)`;
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Keyframes: choose, drop, upload.

  function addFiles(fileList) {
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

  function forgetSet() {
    if (state.set) {
      fetch(`/api/keyframes/${state.set.id}`, {
        method: 'DELETE',
        headers: { 'X-Framer-Request': '1' },
        keepalive: true,
      }).catch(() => {});
    }
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

  function loadImage(src) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => reject(new Error(`Cannot load ${src}.`));
      image.src = src;
    });
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

  // ---------------------------------------------------------------------------------------------------------------
  // The views: start frame, end frame, onion skin. All show the same trajectories in image coordinates.

  const views = () =>
    (state.view === 'side' ? ['view-start', 'view-end'] : ['view-onion-canvas']).map((id) => $(id));

  function layoutViews() {
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

  const scaleOf = (canvas) => canvas.getBoundingClientRect().width / state.set.width;

  function toImage(canvas, event) {
    const rect = canvas.getBoundingClientRect();
    const { width, height } = state.set;
    const x = ((event.clientX - rect.left) / rect.width) * width - 0.5;
    const y = ((event.clientY - rect.top) / rect.height) * height - 0.5;
    return [Math.min(width - 1, Math.max(0, x)), Math.min(height - 1, Math.max(0, y))];
  }

  function drawViews() {
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

  function deleteTrajectory(index) {
    state.trajectories.splice(index, 1);
    state.selected = -1;
    drawViews();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Pointer gestures: draw a new trajectory, move a point, add or remove waypoints.

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
    const hit = hitPoint(canvas, p);
    canvas.setPointerCapture(event.pointerId);
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
      canvas.style.cursor = hitPoint(canvas, toImage(canvas, event)) ? 'grab' : 'crosshair';
      return;
    }
    const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    if (gesture.type === 'draw') {
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
    if (gesture.type === 'draw') {
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

  function onDoubleClick(event) {
    const canvas = event.currentTarget;
    if (!state.set) return;
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

  // ---------------------------------------------------------------------------------------------------------------
  // Trajectory files: the format of docs/trajectory-format.md.

  function trajectoryFile(trajectories, width, height) {
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

  async function loadTrajectoryFile(file) {
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

  async function runAutopilot() {
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

  // ---------------------------------------------------------------------------------------------------------------
  // Generating: submit, follow the server's events, cancel.

  async function generate(event) {
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
      if (['done', 'failed', 'cancelled'].includes(status.state)) {
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
        .then((status) => (['done', 'failed', 'cancelled'].includes(status.state) ? finish(status) : follow(status)))
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

  async function cancelJob() {
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

  // ---------------------------------------------------------------------------------------------------------------
  // The player.

  function showResult(status, images) {
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

  function layoutPlayer() {
    const result = state.result;
    if (!result) return;
    const { width, height } = result.status;
    const box = $('result-section').clientWidth - 40;
    const cssWidth = Math.min(box, (window.innerHeight * 0.7 * width) / height, 4 * width);
    sizeCanvas($('player'), cssWidth, (cssWidth * height) / width);
    drawPlayer();
  }

  function drawPlayer() {
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
    $('frame-label').textContent = `frame ${index + 1} of ${result.images.length}, t = ${t.toFixed(3)}`;
  }

  function startPlaying() {
    const result = state.result;
    stopPlaying();
    const interval = 1000 / Math.max(1, result.status.fps);
    result.timer = setInterval(() => {
      result.index = (result.index + 1) % result.images.length;
      drawPlayer();
    }, interval);
    $('play').textContent = 'Pause';
  }

  function stopPlaying() {
    if (state.result && state.result.timer) {
      clearInterval(state.result.timer);
      state.result.timer = null;
    }
    $('play').textContent = 'Play';
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring.

  function setView(view) {
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

  function fillSelect(select, values, chosen) {
    select.replaceChildren(
      ...values.map((value) => {
        const option = document.createElement('option');
        option.value = option.textContent = value;
        option.selected = value === chosen;
        return option;
      }),
    );
  }

  function wire() {
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
    for (const id of ['view-start', 'view-end', 'view-onion-canvas']) {
      const canvas = $(id);
      canvas.addEventListener('pointerdown', onPointerDown);
      canvas.addEventListener('pointermove', onPointerMove);
      canvas.addEventListener('pointerup', onPointerUp);
      canvas.addEventListener('pointercancel', () => {
        state.gesture = null;
        drawViews();
      });
      canvas.addEventListener('dblclick', onDoubleClick);
    }
    $('view-side').addEventListener('click', () => setView('side'));
    $('view-onion').addEventListener('click', () => setView('onion'));
    $('onion-mix').addEventListener('input', drawViews);
    $('clear').addEventListener('click', () => {
      state.trajectories = [];
      state.selected = -1;
      drawViews();
    });
    $('autopilot').addEventListener('click', runAutopilot);
    $('json-input').addEventListener('change', (event) => {
      if (event.target.files.length) loadTrajectoryFile(event.target.files[0]);
      event.target.value = '';
    });
    $('save-json').addEventListener('click', () => {
      const file = trajectoryFile(state.trajectories, state.set.width, state.set.height);
      download('trajectories.json', JSON.stringify(file, null, 2) + '\n');
    });
    document.addEventListener('keydown', (event) => {
      const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName);
      if (!typing && (event.key === 'Delete' || event.key === 'Backspace') && state.selected >= 0) {
        event.preventDefault();
        deleteTrajectory(state.selected);
      }
    });
    $('generate-form').addEventListener('submit', generate);
    $('cancel').addEventListener('click', cancelJob);
    $('play').addEventListener('click', () => (state.result && state.result.timer ? stopPlaying() : startPlaying()));
    $('scrubber').addEventListener('input', (event) => {
      stopPlaying();
      state.result.index = Number(event.target.value);
      drawPlayer();
    });
    $('overlay').addEventListener('change', () => state.result && drawPlayer());
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
})();
