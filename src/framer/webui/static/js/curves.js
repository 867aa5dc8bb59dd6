// Trajectory curves for the framer web UI: the same maths as framer.trajectory.model (chord times, Catmull-Rom or
// monotone tangents, cubic Hermite pieces), so the path the page draws is the path the server follows.
//
// A trajectory is {points: [[x, y], ...], times: null | [t, ...], interpolation: 'catmull-rom' | 'monotone'} in
// image pixels (docs/trajectory-format.md). An ES module; nothing here touches the page.

const MAX_WAYPOINTS = 14;
// Points are kept to 1/100 pixel, which keeps trajectory files short.
export const roundPoint = (p) => [Math.round(p[0] * 100) / 100, Math.round(p[1] * 100) / 100];

export function chordTimes(points) {
  const lengths = [];
  let total = 0;
  for (let k = 1; k < points.length; k++) {
    const d = Math.hypot(points[k][0] - points[k - 1][0], points[k][1] - points[k - 1][1]);
    lengths.push(d);
    total += d;
  }
  if (total === 0) return points.map((_, k) => k / (points.length - 1));
  const times = [0];
  let run = 0;
  for (const d of lengths) {
    run += d;
    times.push(run / total);
  }
  times[times.length - 1] = 1;
  return times;
}

function slopesOf(knots, values) {
  const h = [];
  const slopes = [];
  for (let k = 0; k + 1 < knots.length; k++) {
    h.push(knots[k + 1] - knots[k]);
    slopes.push([0, 1].map((a) => (values[k + 1][a] - values[k][a]) / h[k]));
  }
  return { h, slopes };
}

function catmullRomTangents(knots, values) {
  const { h, slopes } = slopesOf(knots, values);
  const n = knots.length;
  if (n === 2) return [slopes[0], slopes[0]];
  const tangents = [];
  for (let a = 0; a < 2; a++) {
    for (let k = 1; k < n - 1; k++) {
      tangents[k] = tangents[k] || [0, 0];
      tangents[k][a] = (h[k] * slopes[k - 1][a] + h[k - 1] * slopes[k][a]) / (h[k - 1] + h[k]);
    }
  }
  tangents[0] = [0, 1].map((a) => ((2 * h[0] + h[1]) * slopes[0][a] - h[0] * slopes[1][a]) / (h[0] + h[1]));
  const m = n - 2;
  tangents[n - 1] = [0, 1].map(
    (a) => ((2 * h[m] + h[m - 1]) * slopes[m][a] - h[m] * slopes[m - 1][a]) / (h[m] + h[m - 1]),
  );
  return tangents;
}

function monotoneTangents(knots, values) {
  const { h, slopes } = slopesOf(knots, values);
  const n = knots.length;
  if (n === 2) return [slopes[0], slopes[0]];
  const tangents = knots.map(() => [0, 0]);
  for (let a = 0; a < 2; a++) {
    for (let k = 1; k < n - 1; k++) {
      const d0 = slopes[k - 1][a];
      const d1 = slopes[k][a];
      if (d0 * d1 > 0) {
        const w1 = 2 * h[k] + h[k - 1];
        const w2 = h[k] + 2 * h[k - 1];
        tangents[k][a] = (w1 + w2) / (w1 / d0 + w2 / d1);
      }
    }
    for (const [end, d0, d1, h0, h1] of [
      [0, slopes[0][a], slopes[1][a], h[0], h[1]],
      [n - 1, slopes[n - 2][a], slopes[n - 3][a], h[n - 2], h[n - 3]],
    ]) {
      let t = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
      if (Math.sign(t) !== Math.sign(d0)) t = 0;
      else if (Math.sign(d0) !== Math.sign(d1) && Math.abs(t) > 3 * Math.abs(d0)) t = 3 * d0;
      tangents[end][a] = t;
    }
  }
  return tangents;
}

export function curveOf(trajectory) {
  const points = trajectory.points;
  const knots = trajectory.times || chordTimes(points);
  const tangents =
    trajectory.interpolation === 'monotone' ? monotoneTangents(knots, points) : catmullRomTangents(knots, points);
  return { points, knots, tangents };
}

export function sampleCurve(curve, t) {
  const { points, knots, tangents } = curve;
  t = Math.min(1, Math.max(0, t));
  let seg = 0;
  while (seg < knots.length - 2 && t >= knots[seg + 1]) seg++;
  const h = knots[seg + 1] - knots[seg];
  const s = (t - knots[seg]) / h;
  const s2 = s * s;
  const s3 = s2 * s;
  const h00 = 2 * s3 - 3 * s2 + 1;
  const h10 = s3 - 2 * s2 + s;
  const h01 = -2 * s3 + 3 * s2;
  const h11 = s3 - s2;
  return [0, 1].map(
    (a) =>
      h00 * points[seg][a] + h10 * h * tangents[seg][a] + h01 * points[seg + 1][a] + h11 * h * tangents[seg + 1][a],
  );
}

export function polylineOf(trajectory, count = 160) {
  const curve = curveOf(trajectory);
  const ts = new Set(curve.knots);
  for (let i = 0; i <= count; i++) ts.add(i / count);
  return [...ts].sort((a, b) => a - b).map((t) => sampleCurve(curve, t));
}

export function distanceToPolyline(p, line) {
  let best = Infinity;
  for (let k = 0; k + 1 < line.length; k++) {
    const [ax, ay] = line[k];
    const dx = line[k + 1][0] - ax;
    const dy = line[k + 1][1] - ay;
    const len2 = dx * dx + dy * dy;
    const u = len2 > 0 ? Math.min(1, Math.max(0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / len2)) : 0;
    best = Math.min(best, Math.hypot(p[0] - ax - u * dx, p[1] - ay - u * dy));
  }
  return best;
}

// A drawn stroke -> the trajectory with the fewest waypoints (evenly spaced along the stroke) within
// `tolerance` image pixels of it, both ways. Its points carry no times: the motion runs at steady speed along
// it, and the timing curve chosen for the output shapes it in time.
export function fitStroke(stroke, tolerance) {
  const along = [0];
  for (let k = 1; k < stroke.length; k++) {
    along.push(along[k - 1] + Math.hypot(stroke[k][0] - stroke[k - 1][0], stroke[k][1] - stroke[k - 1][1]));
  }
  const total = along[along.length - 1];
  const at = (distance) => {
    let k = 1;
    while (k < along.length - 1 && along[k] < distance) k++;
    const span = along[k] - along[k - 1];
    const u = span > 0 ? (distance - along[k - 1]) / span : 0;
    return [0, 1].map((a) => stroke[k - 1][a] + u * (stroke[k][a] - stroke[k - 1][a]));
  };
  let best = null;
  for (let waypoints = 0; waypoints <= MAX_WAYPOINTS; waypoints++) {
    const points = [stroke[0]];
    for (let i = 1; i <= waypoints; i++) points.push(at((total * i) / (waypoints + 1)));
    points.push(stroke[stroke.length - 1]);
    best = { points: points.map(roundPoint), times: null, interpolation: 'catmull-rom' };
    const line = polylineOf(best, 96);
    const error = Math.max(
      ...stroke.map((p) => distanceToPolyline(p, line)),
      ...line.map((p) => distanceToPolyline(p, stroke)),
    );
    if (error <= tolerance) break;
  }
  return best;
}
