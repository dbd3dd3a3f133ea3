//! Quadratic programmes over the probability simplex `{w : w >= 0, sum w = 1}`.
//!
//! Two solvers, both for least squares on the simplex:
//!
//! * [`regularised_fw`]: Frank-Wolfe with exact line search for
//!   `min_w ||A w - b||^2 / n + zeta^2 ||w||^2` (the ridge-regularised problem of synthetic
//!   difference-in-differences; Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021, eq. 4-5).
//!   It reproduces `sc.weight.fw` of the R package `synthdid` step for step: the same start,
//!   line search and stopping rule (stop when an iteration lowers the objective by less than
//!   `min_decrease^2`), so the weights agree with R to solver tolerance.
//! * [`simplex_least_squares`]: an exact primal active-set method (Lawson & Hanson's NNLS with
//!   the sum-to-one constraint kept in the equality-constrained subproblems) for
//!   `min_w ||Z w - t||^2`, the inner problem of Abadie-Diamond-Hainmueller synthetic control
//!   (`Z` = predictors scaled by `sqrt(V)`). It terminates at a KKT point to round-off and
//!   accepts a warm start (the previous support), which the nested V optimisation uses.
//!
//! Matrices are column-major (`a[j * n + i]` is row `i`, column `j`), one column per weight.

/// A column-major `n x k` matrix view.
#[derive(Debug, Clone, Copy)]
pub struct ColMat<'a> {
    /// Entries, column after column.
    pub data: &'a [f64],
    /// Rows.
    pub n: usize,
    /// Columns (one per weight).
    pub k: usize,
}

impl<'a> ColMat<'a> {
    /// View `data` as `n x k` column-major.
    pub fn new(data: &'a [f64], n: usize, k: usize) -> Self {
        debug_assert_eq!(data.len(), n * k);
        ColMat { data, n, k }
    }

    /// Column `j`.
    #[inline]
    pub fn col(&self, j: usize) -> &'a [f64] {
        &self.data[j * self.n..(j + 1) * self.n]
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The outcome of [`regularised_fw`].
#[derive(Debug, Clone, PartialEq)]
pub struct FwSolution {
    /// Weights on the simplex.
    pub weights: Vec<f64>,
    /// Objective `zeta^2 ||w||^2 + ||A w - b||^2 / n` after the last iteration.
    pub objective: f64,
    /// Iterations run.
    pub iterations: usize,
    /// Whether the decrease criterion (not the iteration cap) stopped the solver.
    pub converged: bool,
}

/// Frank-Wolfe for `min_w zeta^2 ||w||^2 + ||A w - b||^2 / n` over the simplex, as `synthdid`'s
/// `sc.weight.fw` (R) does it.
///
/// `y` is `n x (k + 1)` column-major: the first `k` columns are `A`, the last is `b`. With
/// `intercept`, every column is centred first (an unpenalised intercept). `init` defaults to
/// uniform weights. Each step moves toward the vertex with the smallest half-gradient
/// `A'(Aw - b) + n zeta^2 w` with the exact line-search step clipped to `[0, 1]`; the loop stops
/// after `max_iter` steps or once a step lowers the objective by no more than `min_decrease^2`.
/// One call is [`FwProblem::new`] then [`FwProblem::solve`].
pub fn regularised_fw(
    y: ColMat<'_>,
    zeta: f64,
    intercept: bool,
    init: Option<&[f64]>,
    min_decrease: f64,
    max_iter: usize,
) -> FwSolution {
    FwProblem::new(y, zeta, intercept).solve(init, min_decrease, max_iter)
}

/// The ridge-regularised simplex least-squares problem of [`regularised_fw`], prepared once
/// (centring, Gram matrix) so that several starts (synthdid's two rounds around the sparsify
/// step) share the `O(n k^2)` set-up and every Frank-Wolfe step costs `O(k)`.
///
/// With `G = A'A`, `c = A'b` and `eta = n zeta^2`, the half-gradient `g = G w - c + eta w` moves
/// along a step `w' = (1 - s) w + s e_i` as `g' = (1 - s) g + s h_i` with the fixed column
/// `h_i = G e_i + eta e_i - c`, and everything the line search needs is a scalar of the current
/// point: `g'd = g_i - g'w`, `|d|^2 = 1 - 2 w_i + |w|^2`,
/// `|A d|^2 = G_ii - 2 (G w)_i + w'G w` with `(G w)_i = g_i + c_i - eta w_i` and
/// `w'G w = g'w + c'w - eta |w|^2`. The objective decrease of a step is
/// `-(2 s g'd + s^2 (|A d|^2 + eta |d|^2)) / n`, exactly what `synthdid` compares with
/// `min_decrease^2` (it differences two objectives), so the steps and the stopping point are
/// those of the `O(n k)`-per-step original to rounding.
#[derive(Debug, Clone)]
pub struct FwProblem {
    n: usize,
    k: usize,
    zeta2: f64,
    eta: f64,
    /// Centred `[A b]`, column-major (for the final objective).
    ab: Vec<f64>,
    /// `h_i = G e_i + eta e_i - c`, column `i` at `h[i * k..]`.
    h: Vec<f64>,
    /// `G_ii`.
    g_diag: Vec<f64>,
    /// `c = A'b`.
    c: Vec<f64>,
}

impl FwProblem {
    /// Centre (with `intercept`) and form the Gram matrix of `y = [A b]` (`n x (k + 1)`,
    /// column-major).
    pub fn new(y: ColMat<'_>, zeta: f64, intercept: bool) -> Self {
        let (n, k) = (y.n, y.k.saturating_sub(1));
        let mut ab = y.data.to_vec();
        if intercept && n > 0 {
            for c in ab.chunks_mut(n) {
                let m = c.iter().sum::<f64>() / n as f64;
                c.iter_mut().for_each(|v| *v -= m);
            }
        }
        let zeta2 = zeta * zeta;
        let eta = n as f64 * zeta2;
        let col = |j: usize| &ab[j * n..(j + 1) * n];
        let c: Vec<f64> = (0..k).map(|j| dot(col(j), col(k))).collect();
        let mut h = vec![0.0; k * k];
        let mut g_diag = vec![0.0; k];
        for i in 0..k {
            for j in i..k {
                let g = dot(col(i), col(j));
                h[i * k + j] = g;
                h[j * k + i] = g;
            }
            g_diag[i] = h[i * k + i];
        }
        for i in 0..k {
            for j in 0..k {
                h[i * k + j] -= c[j];
            }
            h[i * k + i] += eta;
        }
        FwProblem { n, k, zeta2, eta, ab, h, g_diag, c }
    }

    /// Run Frank-Wolfe from `init` (default uniform) for at most `max_iter` steps or until a
    /// step lowers the objective by no more than `min_decrease^2`.
    pub fn solve(&self, init: Option<&[f64]>, min_decrease: f64, max_iter: usize) -> FwSolution {
        #[cfg(target_arch = "x86_64")]
        if avx2_available() {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.solve_avx2(init, min_decrease, max_iter) };
        }
        self.solve_with(init, min_decrease, max_iter, false)
    }

    /// [`FwProblem::solve_with`] compiled for AVX2, so that the AVX2 kernel inlines into the loop.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn solve_avx2(&self, init: Option<&[f64]>, min_decrease: f64, max_iter: usize) -> FwSolution {
        self.solve_with(init, min_decrease, max_iter, true)
    }

    /// The Frank-Wolfe loop; `avx2` must come from `avx2_available`.
    #[inline(always)]
    fn solve_with(&self, init: Option<&[f64]>, min_decrease: f64, max_iter: usize, avx2: bool) -> FwSolution {
        let (n, k, eta) = (self.n, self.k, self.eta);
        let mut x: Vec<f64> = match init {
            Some(w) => w.to_vec(),
            None => vec![1.0 / k as f64; k],
        };
        if k == 0 {
            return FwSolution { weights: x, objective: f64::NAN, iterations: 0, converged: true };
        }
        // g = G x - c + eta x = sum_l x_l h_l + (1 - sum x) c.
        let sx: f64 = x.iter().sum();
        let mut grad: Vec<f64> = self.c.iter().map(|&cj| (1.0 - sx) * cj).collect();
        for (l, &xl) in x.iter().enumerate() {
            if xl != 0.0 {
                for (g, &hv) in grad.iter_mut().zip(&self.h[l * k..(l + 1) * k]) {
                    *g += xl * hv;
                }
            }
        }
        let min_dec2 = min_decrease * min_decrease;
        let mut last_decrease = f64::INFINITY;
        let mut t = 0usize;
        // The vertex of the next step and the scalars of the current point; `x'x` and `c'x`
        // are carried along each step, `g'x` (whose difference with `g_i` is the Frank-Wolfe
        // gap, small near the end) is summed afresh with the gradient update.
        let (mut i, mut gx) = min_and_dot(&grad, &x);
        let (mut xx, mut cx) = (dot(&x, &x), dot(&self.c, &x));
        while t < max_iter && (t < 2 || last_decrease > min_dec2) {
            t += 1;
            let gd = grad[i] - gx;
            let dxx = 1.0 - 2.0 * x[i] + xx;
            let gw_i = grad[i] + self.c[i] - eta * x[i];
            let wgw = gx + cx - eta * xx;
            let denom = (self.g_diag[i] - 2.0 * gw_i + wgw) + eta * dxx;
            last_decrease = 0.0;
            if denom > 0.0 && (x[i] != 1.0 || xx != 1.0) {
                let step = (-gd / denom).clamp(0.0, 1.0);
                if step > 0.0 {
                    let xi = x[i];
                    let xi_new = xi + step * (1.0 - xi);
                    let hi = &self.h[i * k..(i + 1) * k];
                    let (i_new, gx_new) = step_and_scan(&mut x, &mut grad, hi, step, avx2);
                    // x_i was scaled with the rest; R moves it to x_i + step (1 - x_i).
                    gx = gx_new + grad[i] * (xi_new - x[i]);
                    x[i] = xi_new;
                    let a = 1.0 - step;
                    xx = a * a * (xx - xi * xi) + xi_new * xi_new;
                    cx = a * (cx - self.c[i] * xi) + self.c[i] * xi_new;
                    i = i_new;
                    last_decrease = -(2.0 * step * gd + step * step * denom) / n as f64;
                }
            }
        }
        let converged = t < max_iter;
        FwSolution { objective: self.objective(&x), weights: x, iterations: t, converged }
    }

    /// `zeta^2 |x|^2 + |A x - b|^2 / n`.
    fn objective(&self, x: &[f64]) -> f64 {
        let (n, k) = (self.n, self.k);
        let mut r: Vec<f64> = self.ab[k * n..(k + 1) * n].iter().map(|v| -v).collect();
        for (j, &xj) in x.iter().enumerate() {
            for (ri, &a) in r.iter_mut().zip(&self.ab[j * n..(j + 1) * n]) {
                *ri += a * xj;
            }
        }
        self.zeta2 * dot(x, x) + dot(&r, &r) / n as f64
    }
}

/// The first index of the smallest `g_j` (R's `which.min`; 0 when all are NaN) and `g'x`.
#[inline]
fn min_and_dot(g: &[f64], x: &[f64]) -> (usize, f64) {
    let m = g.iter().copied().fold(f64::INFINITY, f64::min);
    (g.iter().position(|&v| v == m).unwrap_or(0), dot(g, x))
}

/// One Frank-Wolfe move of every coordinate, `x_j <- x_j - s x_j`, `g_j <- (1 - s) g_j + s h_j`
/// (the caller sets `x_i`), fused with the scan of the new point: the first index of the
/// smallest `g_j` (R's `which.min`) and `g'x` summed in four lanes (lane `j % 4`, in index
/// order; a tail of `k % 4` entries into lane 0). With `avx2` (the CPU has it), the AVX2 kernel
/// does the same arithmetic bit for bit; otherwise the portable loop.
#[inline]
fn step_and_scan(x: &mut [f64], g: &mut [f64], h: &[f64], s: f64, avx2: bool) -> (usize, f64) {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is true only when the CPU supports AVX2 (`avx2_available`).
        return unsafe { step_and_scan_avx2(x, g, h, s) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    step_and_scan_portable(x, g, h, s)
}

/// Whether the AVX2 kernel can run (checked once per solve: a cached load).
fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`step_and_scan_portable`] with AVX2 (no FMA): the same operations in the same order on the
/// same four `g'x` lanes, so the results are bit for bit those of the portable loop; the
/// smallest `g_j` is tracked with its first index in two 4-lane accumulators (exact in any
/// order), which replaces the second pass over `g`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn step_and_scan_avx2(x: &mut [f64], g: &mut [f64], h: &[f64], s: f64) -> (usize, f64) {
    use std::arch::x86_64::*;
    let k = x.len();
    assert!(g.len() == k && h.len() == k);
    let (xp, gp, hp) = (x.as_mut_ptr(), g.as_mut_ptr(), h.as_ptr());
    let sv = _mm256_set1_pd(s);
    let av = _mm256_set1_pd(1.0 - s);
    let inf = _mm256_set1_pd(f64::INFINITY);
    let four = _mm256_set1_pd(4.0);
    let (mut mn0, mut mn1) = (inf, inf);
    let (mut mi0, mut mi1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let mut gx = _mm256_setzero_pd();
    let mut jv = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
    let k4 = k / 4 * 4;
    let mut j = 0;
    macro_rules! chunk {
        ($mn:ident, $mi:ident) => {{
            // SAFETY: j + 4 <= k4 <= k = len of x, g, h.
            let xv = _mm256_loadu_pd(xp.add(j));
            let gv = _mm256_loadu_pd(gp.add(j));
            let hv = _mm256_loadu_pd(hp.add(j));
            let xn = _mm256_sub_pd(xv, _mm256_mul_pd(sv, xv));
            let gn = _mm256_add_pd(_mm256_mul_pd(av, gv), _mm256_mul_pd(sv, hv));
            _mm256_storeu_pd(xp.add(j), xn);
            _mm256_storeu_pd(gp.add(j), gn);
            let lt = _mm256_cmp_pd::<_CMP_LT_OQ>(gn, $mn);
            $mn = _mm256_blendv_pd($mn, gn, lt);
            $mi = _mm256_blendv_pd($mi, jv, lt);
            gx = _mm256_add_pd(gx, _mm256_mul_pd(gn, xn));
            jv = _mm256_add_pd(jv, four);
            j += 4;
        }};
    }
    while j + 8 <= k4 {
        chunk!(mn0, mi0);
        chunk!(mn1, mi1);
    }
    // At most one chunk of four left.
    while j < k4 {
        chunk!(mn0, mi0);
    }
    // Lane-wise merge of the two accumulators: the smaller value, the smaller index on ties.
    let lt = _mm256_cmp_pd::<_CMP_LT_OQ>(mn1, mn0);
    let eq = _mm256_cmp_pd::<_CMP_EQ_OQ>(mn1, mn0);
    let mn = _mm256_blendv_pd(mn0, mn1, lt);
    let mi = _mm256_blendv_pd(_mm256_blendv_pd(mi0, mi1, lt), _mm256_min_pd(mi0, mi1), eq);
    // Across lanes: fold the upper half onto the lower, then the second lane onto the first.
    let (mnh, mih) = (_mm256_extractf128_pd::<1>(mn), _mm256_extractf128_pd::<1>(mi));
    let (mnl, mil) = (_mm256_castpd256_pd128(mn), _mm256_castpd256_pd128(mi));
    let lt = _mm_cmplt_pd(mnh, mnl);
    let eq = _mm_cmpeq_pd(mnh, mnl);
    let mn2 = _mm_blendv_pd(mnl, mnh, lt);
    let mi2 = _mm_blendv_pd(_mm_blendv_pd(mil, mih, lt), _mm_min_pd(mil, mih), eq);
    let (mnb, mib) = (_mm_unpackhi_pd(mn2, mn2), _mm_unpackhi_pd(mi2, mi2));
    let lt = _mm_cmplt_sd(mnb, mn2);
    let eq = _mm_cmpeq_sd(mnb, mn2);
    let mn1 = _mm_blendv_pd(mn2, mnb, lt);
    let mi1 = _mm_blendv_pd(_mm_blendv_pd(mi2, mib, lt), _mm_min_sd(mi2, mib), eq);
    // The index is an exact small whole number: a plain truncating conversion (not `as usize`,
    // whose saturating checks sit on the path to the next step's loads).
    let mut m = _mm_cvtsd_f64(mn1);
    let mut i = _mm_cvttsd_si64(mi1) as usize;
    let mut gxl = [0.0; 4];
    _mm256_storeu_pd(gxl.as_mut_ptr(), gx);
    for j in k4..k {
        x[j] -= s * x[j];
        g[j] = (1.0 - s) * g[j] + s * h[j];
        if g[j] < m {
            m = g[j];
            i = j;
        }
        gxl[0] += g[j] * x[j];
    }
    if m == f64::INFINITY {
        // No value below +inf (all NaN or +inf): the portable rule.
        i = g.iter().position(|&v| v == m).unwrap_or(0);
    }
    (i, (gxl[0] + gxl[1]) + (gxl[2] + gxl[3]))
}

/// The portable kernel of [`step_and_scan`]: four independent lanes so that the loop
/// vectorises for any target, then a second pass for the first index of the minimum.
#[inline]
fn step_and_scan_portable(x: &mut [f64], g: &mut [f64], h: &[f64], s: f64) -> (usize, f64) {
    let a = 1.0 - s;
    let (mut mn, mut gx) = ([f64::INFINITY; 4], [0.0; 4]);
    let mut xc = x.chunks_exact_mut(4);
    let mut gc = g.chunks_exact_mut(4);
    let mut hc = h.chunks_exact(4);
    for ((x4, g4), h4) in (&mut xc).zip(&mut gc).zip(&mut hc) {
        for l in 0..4 {
            x4[l] -= s * x4[l];
            g4[l] = a * g4[l] + s * h4[l];
            mn[l] = mn[l].min(g4[l]);
            gx[l] += g4[l] * x4[l];
        }
    }
    for ((xj, gj), &hj) in xc.into_remainder().iter_mut().zip(gc.into_remainder()).zip(hc.remainder()) {
        *xj -= s * *xj;
        *gj = a * *gj + s * hj;
        mn[0] = mn[0].min(*gj);
        gx[0] += *gj * *xj;
    }
    let m = mn[0].min(mn[1]).min(mn[2].min(mn[3]));
    (g.iter().position(|&v| v == m).unwrap_or(0), (gx[0] + gx[1]) + (gx[2] + gx[3]))
}

/// The outcome of [`simplex_least_squares`].
#[derive(Debug, Clone, PartialEq)]
pub struct SimplexLsSolution {
    /// Weights on the simplex.
    pub weights: Vec<f64>,
    /// `||Z w - t||^2`.
    pub loss: f64,
    /// Active-set iterations.
    pub iterations: usize,
    /// Whether the KKT conditions were met within the iteration cap.
    pub converged: bool,
}

/// Exact active-set solution of `min_w ||Z w - t||^2` subject to `w >= 0`, `sum w = 1`.
///
/// Primal active set (Lawson & Hanson 1974, ch. 23, with the equality constraint kept in each
/// subproblem): on the passive set `P`, solve the equality-constrained least squares by its KKT
/// system `[Z_P'Z_P 1; 1' 0] [u; nu] = [Z_P't; 1]`; step back to feasibility when some `u_j <= 0`;
/// otherwise add the index with the most negative reduced gradient. Optimal when every reduced
/// gradient `g_j - g_P >= -tol * scale` (`g = Z'(Zw - t)`). `warm` is a starting support (e.g.
/// the solution for a nearby `Z`); the default starts at the best single column.
pub fn simplex_least_squares(z: ColMat<'_>, t: &[f64], warm: Option<&[usize]>, tol: f64) -> SimplexLsSolution {
    let (n, k) = (z.n, z.k);
    let mut w = vec![0.0; k];
    if k == 0 {
        return SimplexLsSolution { weights: w, loss: dot(t, t), iterations: 0, converged: true };
    }
    let scale = z.data.iter().map(|v| v * v).sum::<f64>().max(dot(t, t)).max(f64::MIN_POSITIVE);
    // Starting support: the warm start if it is non-empty and valid, else the best column.
    let mut passive: Vec<usize> = warm.map(|s| s.iter().copied().filter(|&j| j < k).collect()).unwrap_or_default();
    passive.sort_unstable();
    passive.dedup();
    if passive.is_empty() {
        let best = (0..k)
            .map(|j| (j, z.col(j).iter().zip(t).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()))
            .fold((0, f64::INFINITY), |acc, (j, d)| if d < acc.1 { (j, d) } else { acc });
        passive.push(best.0);
        w[best.0] = 1.0;
    } else {
        // Feasible start: the equality-constrained solution on the warm support, repaired below.
        for &j in &passive {
            w[j] = 1.0 / passive.len() as f64;
        }
    }
    let mut resid = vec![0.0; n];
    let max_iter = 3 * k + 50;
    let mut iterations = 0;
    let mut converged = false;
    let mut last_added: Option<usize> = None;
    while iterations < max_iter {
        iterations += 1;
        // Inner loop: solve on P, step back until the subproblem solution is feasible.
        loop {
            let u = eq_constrained_ls(z, t, &passive);
            if passive.iter().zip(&u).all(|(_, &v)| v > 0.0) {
                w.iter_mut().for_each(|v| *v = 0.0);
                for (&j, &v) in passive.iter().zip(&u) {
                    w[j] = v;
                }
                break;
            }
            // Largest step from w toward u that keeps w >= 0.
            let mut alpha = 1.0f64;
            for (&j, &v) in passive.iter().zip(&u) {
                if v <= 0.0 {
                    let denom = w[j] - v;
                    if denom > 0.0 {
                        alpha = alpha.min(w[j] / denom);
                    } else {
                        alpha = 0.0;
                    }
                }
            }
            for (&j, &v) in passive.iter().zip(&u) {
                w[j] += alpha * (v - w[j]);
            }
            let before = passive.len();
            passive.retain(|&j| w[j] > 1e-14);
            for j in 0..k {
                if !passive.contains(&j) {
                    w[j] = 0.0;
                }
            }
            if passive.is_empty() {
                // Cannot happen in exact arithmetic; restart at the best vertex.
                let j = last_added.unwrap_or(0);
                passive.push(j);
                w[j] = 1.0;
                break;
            }
            let s: f64 = passive.iter().map(|&j| w[j]).sum();
            passive.iter().for_each(|&j| w[j] /= s);
            if passive.len() == before {
                // No index left the set (alpha = 1 up to round-off): accept u as it stands.
                break;
            }
        }
        // Reduced gradients.
        resid.copy_from_slice(&t.iter().map(|v| -v).collect::<Vec<_>>());
        for (j, &wj) in w.iter().enumerate() {
            if wj != 0.0 {
                for (r, &zij) in resid.iter_mut().zip(z.col(j)) {
                    *r += zij * wj;
                }
            }
        }
        let g: Vec<f64> = (0..k).map(|j| dot(z.col(j), &resid)).collect();
        let gp = passive.iter().map(|&j| g[j] * w[j]).sum::<f64>();
        let mut best: Option<(usize, f64)> = None;
        for j in 0..k {
            if w[j] == 0.0 && !passive.contains(&j) {
                let rg = g[j] - gp;
                if rg < -tol * scale && best.is_none_or(|(_, b)| rg < b) {
                    best = Some((j, rg));
                }
            }
        }
        match best {
            None => {
                converged = true;
                break;
            }
            Some((j, _)) => {
                if last_added == Some(j) && passive.contains(&j) {
                    converged = true;
                    break;
                }
                passive.push(j);
                passive.sort_unstable();
                last_added = Some(j);
            }
        }
    }
    let mut r = t.iter().map(|v| -v).collect::<Vec<_>>();
    for (j, &wj) in w.iter().enumerate() {
        for (ri, &zij) in r.iter_mut().zip(z.col(j)) {
            *ri += zij * wj;
        }
    }
    SimplexLsSolution { loss: dot(&r, &r), weights: w, iterations, converged }
}

/// Solution of `min ||Z_P u - t||^2` s.t. `sum u = 1` on the columns `p` (KKT system, with a
/// ridge of 1e-13 relative to the diagonal so affinely dependent columns stay solvable).
fn eq_constrained_ls(z: ColMat<'_>, t: &[f64], p: &[usize]) -> Vec<f64> {
    let m = p.len();
    let dim = m + 1;
    let mut kkt = vec![0.0; dim * dim];
    let mut rhs = vec![0.0; dim];
    let mut maxdiag = 0.0f64;
    for (a, &ja) in p.iter().enumerate() {
        for (b, &jb) in p.iter().enumerate().skip(a) {
            let v = dot(z.col(ja), z.col(jb));
            kkt[a * dim + b] = v;
            kkt[b * dim + a] = v;
        }
        maxdiag = maxdiag.max(kkt[a * dim + a]);
        rhs[a] = dot(z.col(ja), t);
        kkt[a * dim + m] = 1.0;
        kkt[m * dim + a] = 1.0;
    }
    rhs[m] = 1.0;
    let ridge = 1e-13 * maxdiag.max(f64::MIN_POSITIVE);
    for a in 0..m {
        kkt[a * dim + a] += ridge;
    }
    let sol = solve_dense(&mut kkt, &mut rhs, dim);
    sol[..m].to_vec()
}

/// Gaussian elimination with partial pivoting for a small dense row-major system (destroys its
/// inputs). Singular pivots are replaced by zeros in the solution.
pub fn solve_dense(a: &mut [f64], b: &mut [f64], n: usize) -> Vec<f64> {
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs())).unwrap_or(col);
        if piv != col {
            for c in 0..n {
                a.swap(col * n + c, piv * n + c);
            }
            b.swap(col, piv);
        }
        let d = a[col * n + col];
        if d == 0.0 {
            continue;
        }
        for r in col + 1..n {
            let f = a[r * n + col] / d;
            if f != 0.0 {
                for c in col..n {
                    a[r * n + c] -= f * a[col * n + c];
                }
                b[r] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|c| a[r * n + c] * x[c]).sum();
        let d = a[r * n + r];
        x[r] = if d == 0.0 { 0.0 } else { (b[r] - s) / d };
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The original `O(n k)`-per-step Frank-Wolfe of synthdid's `sc.weight.fw` (recomputes `A x`
    /// and `A'(A x - b)` and the objective every step), kept as the reference for [`FwProblem`].
    fn reference_fw(
        y: ColMat<'_>,
        zeta: f64,
        intercept: bool,
        init: Option<&[f64]>,
        min_decrease: f64,
        max_iter: usize,
    ) -> FwSolution {
        let (n, k) = (y.n, y.k - 1);
        let mut x: Vec<f64> = match init {
            Some(w) => w.to_vec(),
            None => vec![1.0 / k as f64; k],
        };
        if k == 0 {
            return FwSolution { weights: x, objective: f64::NAN, iterations: 0, converged: true };
        }
        // Centred copy when an intercept is fitted.
        let mut buf = y.data.to_vec();
        if intercept && n > 0 {
            for c in buf.chunks_mut(n) {
                let m = c.iter().sum::<f64>() / n as f64;
                c.iter_mut().for_each(|v| *v -= m);
            }
        }
        let a = ColMat::new(&buf[..n * k], n, k);
        let b = &buf[n * k..n * (k + 1)];
        let zeta2 = zeta * zeta;
        let eta = n as f64 * zeta2;
        let mut ax = vec![0.0; n];
        let mut resid = vec![0.0; n];
        let mut grad = vec![0.0; k];
        let mut d_err = vec![0.0; n];
        let mut vals: Vec<f64> = Vec::new();
        let mut t = 0usize;
        let times = |x: &[f64], out: &mut [f64]| {
            out.iter_mut().for_each(|v| *v = 0.0);
            for (j, &xj) in x.iter().enumerate() {
                if xj != 0.0 {
                    for (s, &aij) in out.iter_mut().zip(a.col(j)) {
                        *s += aij * xj;
                    }
                }
            }
        };
        times(&x, &mut ax);
        while t < max_iter && (t < 2 || vals[t - 2] - vals[t - 1] > min_decrease * min_decrease) {
            t += 1;
            // The half gradient A'(Ax - b) + eta x (Ax is kept from the previous objective).
            for i in 0..n {
                resid[i] = ax[i] - b[i];
            }
            for j in 0..k {
                grad[j] = dot(a.col(j), &resid) + eta * x[j];
            }
            // First index of the minimum (R's which.min).
            let mut i_min = 0;
            for j in 1..k {
                if grad[j] < grad[i_min] {
                    i_min = j;
                }
            }
            // d_x = e_i - x; the step along it.
            let mut any = false;
            let mut gd = 0.0;
            let mut dxx = 0.0;
            for j in 0..k {
                let d = if j == i_min { 1.0 - x[j] } else { -x[j] };
                any |= d != 0.0;
                gd += grad[j] * d;
                dxx += d * d;
            }
            if any {
                let ai = a.col(i_min);
                for r in 0..n {
                    d_err[r] = ai[r] - ax[r];
                }
                let denom = dot(&d_err, &d_err) + eta * dxx;
                if denom > 0.0 {
                    let step = (-gd / denom).clamp(0.0, 1.0);
                    for j in 0..k {
                        let d = if j == i_min { 1.0 - x[j] } else { -x[j] };
                        x[j] += step * d;
                    }
                }
            }
            // Objective at the new point: zeta^2 |x|^2 + |A x - b|^2 / n.
            times(&x, &mut ax);
            let sse: f64 = ax.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum();
            vals.push(zeta2 * dot(&x, &x) + sse / n as f64);
        }
        let converged = t < max_iter;
        FwSolution { weights: x, objective: vals.last().copied().unwrap_or(f64::NAN), iterations: t, converged }
    }

    #[test]
    fn one_perfect_donor_gets_all_weight() {
        // Column 1 equals the target exactly.
        let z = [1.0, 0.0, 2.0, 0.3, 0.7, 0.1, 5.0, 5.0, 5.0];
        let t = [0.3, 0.7, 0.1];
        let s = simplex_least_squares(ColMat::new(&z, 3, 3), &t, None, 1e-12);
        assert!(s.converged);
        assert!((s.weights[1] - 1.0).abs() < 1e-12, "{:?}", s.weights);
        assert!(s.loss < 1e-24);
    }

    #[test]
    fn interior_solution_matches_the_kkt_point() {
        // Target = 0.25 * c0 + 0.75 * c2 plus an orthogonal bit; c1 is far away.
        let z = [1.0, 0.0, 0.0, 9.0, 9.0, -9.0, 0.0, 1.0, 0.0];
        let t = [0.25, 0.75, 0.5];
        let s = simplex_least_squares(ColMat::new(&z, 3, 3), &t, Some(&[1]), 1e-12);
        assert!((s.weights[0] - 0.25).abs() < 1e-12 && (s.weights[2] - 0.75).abs() < 1e-12, "{:?}", s.weights);
        assert_eq!(s.weights[1], 0.0);
    }

    #[test]
    fn frank_wolfe_stays_on_the_simplex_and_lowers_the_objective() {
        let y: Vec<f64> = (0..40).map(|i| ((i * 7919) % 97) as f64 / 10.0).collect();
        let m = ColMat::new(&y, 10, 4);
        let s = regularised_fw(m, 0.1, true, None, 1e-8, 10_000);
        assert!((s.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(s.weights.iter().all(|&w| w >= 0.0));
        let first = regularised_fw(m, 0.1, true, None, 1e-8, 1);
        assert!(s.objective <= first.objective);
    }

    /// Random `n x (k + 1)` problems: a few smooth "factor" columns plus noise, like outcome
    /// panels, with the SDID regularisation scales (large zeta, tiny zeta) and random starts.
    fn random_problem(seed: u64, n: usize, k: usize) -> Vec<f64> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut u = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let f: Vec<f64> = (0..2 * n).map(|_| u() - 0.5).collect();
        let trend: Vec<f64> = (0..n)
            .scan(0.0, |s, i| {
                *s += f[i];
                Some(*s)
            })
            .collect();
        let mut y = Vec::with_capacity(n * (k + 1));
        for _ in 0..=k {
            let (load, level) = (u() * 3.0, 100.0 * u());
            y.extend((0..n).map(|i| level + load * trend[i] + 5.0 * f[n + i] * u() + u()));
        }
        y
    }

    #[test]
    fn avx2_kernel_equals_the_portable_one_bit_for_bit() {
        if !avx2_available() {
            return;
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut u = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for k in 1..=45 {
            for case in 0..6 {
                // Ties (values from a small set), negative zeros, an infinite or NaN entry.
                let mut g: Vec<f64> = (0..k)
                    .map(|_| {
                        if case % 2 == 0 {
                            u() - 0.5
                        } else {
                            ((u() * 3.0).floor() - 1.0) * 0.0 - (u() * 3.0).floor()
                        }
                    })
                    .collect();
                if case == 4 {
                    g[k / 2] = f64::NAN;
                }
                if case == 5 {
                    g.iter_mut().for_each(|v| *v = f64::NAN);
                }
                let x: Vec<f64> = (0..k).map(|_| u()).collect();
                let h: Vec<f64> = (0..k).map(|_| if case % 2 == 0 { u() * 2.0 - 1.0 } else { 0.0 }).collect();
                for s in [0.0, 0.3 * u(), 1.0] {
                    let (mut xa, mut ga, mut xb, mut gb) = (x.clone(), g.clone(), x.clone(), g.clone());
                    let a = step_and_scan(&mut xa, &mut ga, &h, s, true);
                    let b = step_and_scan_portable(&mut xb, &mut gb, &h, s);
                    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    assert_eq!(a.0, b.0, "k {k} case {case} s {s}: argmin");
                    assert_eq!(a.1.to_bits(), b.1.to_bits(), "k {k} case {case} s {s}: g'x");
                    assert_eq!((bits(&xa), bits(&ga)), (bits(&xb), bits(&gb)), "k {k} case {case}");
                }
            }
        }
    }

    #[test]
    fn gram_frank_wolfe_takes_the_reference_steps_on_random_problems() {
        let mut worst = 0.0f64;
        for seed in 0..16u64 {
            let (n, k) = (5 + (seed as usize * 7) % 36, 2 + (seed as usize * 11) % 41);
            let y = random_problem(seed, n, k);
            let m = ColMat::new(&y, n, k + 1);
            let sigma = 1.0;
            for (zeta, intercept) in [(sigma * 3.0, true), (1e-6 * sigma, true), (1e-6 * sigma, false)] {
                let start: Vec<f64> = {
                    let w: Vec<f64> = (0..k).map(|j| ((j * 31 + seed as usize) % 7) as f64).collect();
                    let s: f64 = w.iter().sum();
                    w.iter().map(|v| v / s).collect()
                };
                for init in [None, Some(&start[..])] {
                    for max_iter in [1, 2, 100, 10_000] {
                        let want = reference_fw(m, zeta, intercept, init, 1e-5 * sigma, max_iter);
                        let got = regularised_fw(m, zeta, intercept, init, 1e-5 * sigma, max_iter);
                        assert_eq!(got.iterations, want.iterations, "seed {seed} n {n} k {k} zeta {zeta}");
                        assert_eq!(got.converged, want.converged);
                        for (a, b) in got.weights.iter().zip(&want.weights) {
                            worst = worst.max((a - b).abs());
                        }
                        // Relative to the objective after one step (near-exact fits end near 0).
                        let scale = reference_fw(m, zeta, intercept, init, 0.0, 1).objective;
                        let diff = (got.objective - want.objective).abs();
                        assert!(
                            diff <= 1e-10 * scale,
                            "seed {seed}: objective {} vs {}",
                            got.objective,
                            want.objective
                        );
                    }
                }
            }
        }
        assert!(worst < 1e-10, "largest weight difference {worst:e}");
    }
}
