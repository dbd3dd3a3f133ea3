//! Moment accumulators: unit count, means and centred cross-products of vectors, built batch
//! by batch and merged with the pairwise update of Chan, Golub & LeVeque (1979), so no raw
//! second moment is formed (numerically stable in one pass). Used by `att_gt`'s closed-form
//! standard errors on sorted balanced panels (`src/did/att_gt_sorted.rs`).
//!
//! Reference: Chan, T. F., Golub, G. H. & LeVeque, R. J. (1979), "Updating formulae and a
//! pairwise algorithm for computing sample variances", Stanford CS report STAN-CS-79-773.

/// Units per batch of [`BlockMoments::set_to_batch`].
pub const MOMENT_BATCH: usize = 64;

/// Moments of the outcome vectors $Y_i = (Y_{i1}, \dots, Y_{iT})$ of a cohort block: unit
/// count, period means $m$ and centred cross-products $C = \sum_i (Y_i - m)(Y_i - m)'$
/// (`T x T`, row-major), accumulated batch by batch with the pairwise update of Chan, Golub &
/// LeVeque (1979) so no raw second moment is formed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockMoments {
    /// Units.
    pub n: f64,
    /// Period means.
    pub mean: Vec<f64>,
    /// Centred cross-products, row-major.
    pub cross: Vec<f64>,
}

impl BlockMoments {
    /// No units, `nt` periods.
    pub fn empty(nt: usize) -> BlockMoments {
        BlockMoments { n: 0.0, mean: vec![0.0; nt], cross: vec![0.0; nt * nt] }
    }

    /// Set to the moments of a batch of `len <= MOMENT_BATCH` units held period-wise: period
    /// `j`'s values at `batch[j * MOMENT_BATCH..j * MOMENT_BATCH + len]` (`batch` holds a row
    /// for each of the `T` periods of `self`). Centres `batch` in place and sets the rest of
    /// each row to zero; allocates nothing.
    pub fn set_to_batch(&mut self, batch: &mut [f64], len: usize) {
        let nt = self.mean.len();
        assert!(len <= MOMENT_BATCH && batch.len() >= nt * MOMENT_BATCH, "a batch is T rows of MOMENT_BATCH units");
        let batch = &mut batch[..nt * MOMENT_BATCH];
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { batch_moments_avx2_fma(self, batch, len) };
        }
        batch_moments::<false>(self, batch, len);
    }

    /// Add another batch's moments (Chan, Golub & LeVeque's pairwise update).
    pub fn merge(&mut self, o: &BlockMoments) {
        if o.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            self.mean.copy_from_slice(&o.mean);
            self.cross.copy_from_slice(&o.cross);
            self.n = o.n;
            return;
        }
        let n = self.n + o.n;
        let f = self.n * o.n / n;
        let nt = self.mean.len();
        for (i, (row, orow)) in self.cross.chunks_mut(nt).zip(o.cross.chunks(nt)).enumerate() {
            let fdi = f * (o.mean[i] - self.mean[i]);
            for (((c, oc), om), m) in row.iter_mut().zip(orow).zip(&o.mean).zip(&self.mean) {
                *c += oc + fdi * (om - m);
            }
        }
        for (m, om) in self.mean.iter_mut().zip(&o.mean) {
            *m += (om - *m) * o.n / n;
        }
        self.n = n;
    }
}

/// [`batch_moments`] compiled for AVX2 with fused multiply-adds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn batch_moments_avx2_fma(out: &mut BlockMoments, batch: &mut [f64], len: usize) {
    batch_moments::<true>(out, batch, len);
}

/// `a * b + c`, fused (one rounding) when `FUSED`.
#[inline(always)]
fn madd<const FUSED: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FUSED {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// The dot products of `x` with each of four rows of [`MOMENT_BATCH`] values, in four lanes
/// each: sixteen independent sums, so the loop runs at the machine's throughput.
#[inline(always)]
fn dot4x4<const FUSED: bool>(x: &[f64], ys: [&[f64]; 4]) -> [f64; 4] {
    fn whole(r: &[f64]) -> &[f64; MOMENT_BATCH] {
        r[..MOMENT_BATCH].try_into().expect("a whole row")
    }
    let (x, [a, b, c, d]) = (whole(x), ys.map(whole));
    let mut acc = [[0.0f64; 4]; 4];
    for k in (0..MOMENT_BATCH).step_by(4) {
        for l in 0..4 {
            acc[0][l] = madd::<FUSED>(x[k + l], a[k + l], acc[0][l]);
            acc[1][l] = madd::<FUSED>(x[k + l], b[k + l], acc[1][l]);
            acc[2][l] = madd::<FUSED>(x[k + l], c[k + l], acc[2][l]);
            acc[3][l] = madd::<FUSED>(x[k + l], d[k + l], acc[3][l]);
        }
    }
    acc.map(|a| (a[0] + a[1]) + (a[2] + a[3]))
}

/// See [`BlockMoments::set_to_batch`]: means, centring, then the upper triangle of the
/// cross-products, four at a time ([`dot4x4`] over whole rows, zero beyond `len`), mirrored.
#[inline(always)]
fn batch_moments<const FUSED: bool>(out: &mut BlockMoments, batch: &mut [f64], len: usize) {
    const B: usize = MOMENT_BATCH;
    let nt = out.mean.len();
    out.n = len as f64;
    if len == 0 {
        out.mean.fill(0.0);
        out.cross.fill(0.0);
        return;
    }
    let ones = [1.0; B];
    for (row, m) in batch.chunks_exact_mut(B).zip(out.mean.iter_mut()) {
        row[len..].fill(0.0);
        *m = dot4x4::<FUSED>(row, [&ones; 4])[0] / len as f64;
        row[..len].iter_mut().for_each(|v| *v -= *m);
    }
    let row = |j: usize| &batch[j * B..(j + 1) * B];
    for i in 0..nt {
        for j0 in (i..nt).step_by(4) {
            let other = |q: usize| if j0 + q < nt { row(j0 + q) } else { row(i) };
            let c = dot4x4::<FUSED>(row(i), [other(0), other(1), other(2), other(3)]);
            for (q, &v) in c.iter().enumerate().take(nt - j0) {
                out.cross[i * nt + j0 + q] = v;
                out.cross[(j0 + q) * nt + i] = v;
            }
        }
    }
}
