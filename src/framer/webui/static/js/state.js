// The web UI's shared state: one object that every module reads and changes, and the colour of each trajectory.
//
// Coordinates: trajectory points are image pixels with the centre of the top-left pixel at (0, 0), as in
// docs/trajectory-format.md.

export const state = {
  config: null, // GET /api/config
  files: [], // File objects, in keyframe order
  set: null, // the server's keyframe set: {id, count, width, height, previews, names, notes}
  images: [], // preview images of the set
  trajectories: [], // {name, points: [[x, y], ...], times: null | [...], interpolation, confidence: null | 0..1}
  selected: -1,
  view: 'side',
  tool: 'path', // what a press on a view does: 'path' (draw or edit trajectories), 'paint' or 'erase' (the mask)
  gesture: null, // what the pointer is doing: {type: 'draw' | 'move', ...}
  drawn: 0, // trajectories drawn so far (for names)
  job: null,
  events: null,
  result: null, // {status, images, trajectories, index, timer}
};

export function colorOf(index) {
  const palette = state.config ? state.config.palette : ['#e6194b'];
  if (index < palette.length) return palette[index];
  return `hsl(${Math.round(((index * 0.618033988749895) % 1) * 360)}, 85%, 55%)`;
}
