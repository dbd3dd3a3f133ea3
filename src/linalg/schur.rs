//! A sparse Cholesky preconditioner for the Schur complement of the fixed-effect normal equations.
//!
//! # Model
//! With the dimension $e$ that has the most levels eliminated exactly, the normal equations of
//! the other dimensions' coefficients $\beta$ read $S\beta = b$ with
//! $$S = O^\top W O - B^\top D_e^{-1} B,$$
//! where $O$ holds the dummies of the other dimensions ($O^\top W O$ is diagonal with two
//! dimensions, with cross-products between the others beyond), $D_e$ is diagonal (total weight of
//! each level of $e$) and $B_{gh}$ is the total weight of the rows at level $g$ of $e$ and level
//! $h$ of another dimension. $S$ is sparse when each
//! level of $e$ meets few levels of the others (a worker meets the firms she worked at), however
//! weakly the levels are connected: exactly the designs on which iterative methods crawl.
//!
//! $S$ is assembled, its diagonal raised by a relative $10^{-10}$ (it is singular: one direction
//! per connected component, which leaves fitted values unchanged) and factored by sparse Cholesky
//! with an approximate-minimum-degree ordering. As the conjugate-gradient preconditioner it is
//! exact up to that shift, so CG needs a handful of steps whatever the conditioning.
//! Assembly is abandoned (and block Jacobi kept) when $S$ or its factor would exceed a memory
//! budget, as on densely connected designs, which projections solve quickly anyway.

use faer::sparse::linalg::cholesky::factorize_symbolic_cholesky;
use faer::sparse::linalg::solvers::{Llt, SymbolicLlt};
use faer::sparse::{SparseColMat, SymbolicSparseColMat};
use faer::{MatMut, Side};
use rayon::prelude::*;

/// Relative diagonal shift that makes the singular Schur complement factorable.
const DIAGONAL_SHIFT: f64 = 1e-10;

/// The Schur complement of one fixed-effect structure, assembled and factored.
#[derive(Debug, Clone)]
pub(crate) struct SchurFactor {
    eliminated: usize,
    /// Offset of each dimension's levels in the stacked vector (unused for the eliminated one).
    offsets: Vec<usize>,
    /// Lower triangle of $S$, exact (no shift), for products.
    matrix: SparseColMat<u32, f64>,
    /// Cholesky factor of $S$ with the diagonal shift.
    llt: Llt<u32, f64>,
}

impl SchurFactor {
    /// Assemble and factor $S$ for dimension `eliminated` eliminated. `inv_weight[q][g]` is one
    /// over the total weight of level `g` of dimension `q`. Returns `None` when $S$ or its
    /// Cholesky factor would hold more than `budget` non-zeros, or the factorisation fails.
    pub(crate) fn build(
        codes: &[&[u32]],
        inv_weight: &[Vec<f64>],
        weights: Option<&[f64]>,
        eliminated: usize,
        budget: usize,
    ) -> Option<Self> {
        let mut offsets = vec![0; codes.len()];
        let mut size = 0;
        for q in (0..codes.len()).filter(|&q| q != eliminated) {
            offsets[q] = size;
            size += inv_weight[q].len();
        }
        if size == 0 || size > u32::MAX as usize || codes[eliminated].len() > u32::MAX as usize {
            return None;
        }
        let by_eliminated = Adjacency::eliminated_to_others(codes, weights, eliminated, &offsets, inv_weight);
        let by_other = by_eliminated.transpose(size);
        let cross = Adjacency::cross_products(codes, weights, eliminated, &offsets, size);
        let matrix = assemble(&by_eliminated, &by_other, &cross, eliminated, inv_weight, &offsets, budget)?;
        drop((by_eliminated, by_other, cross));
        let symbolic =
            factorize_symbolic_cholesky(matrix.symbolic(), Side::Lower, Default::default(), Default::default()).ok()?;
        if symbolic.len_val() > budget {
            return None;
        }
        let shifted = shift_diagonal(&matrix)?;
        let symbolic = SymbolicLlt::try_new(shifted.symbolic(), Side::Lower).ok()?;
        let llt = Llt::try_new_with_symbolic(symbolic, shifted.as_ref(), Side::Lower).ok()?;
        Some(SchurFactor { eliminated, offsets, matrix, llt })
    }

    /// The eliminated dimension.
    pub(crate) fn eliminated(&self) -> usize {
        self.eliminated
    }

    /// Number of coefficients in the Schur system.
    pub(crate) fn size(&self) -> usize {
        self.matrix.nrows()
    }

    /// The coefficients of every dimension but the eliminated one, stacked.
    pub(crate) fn stack(&self, alpha: &[Vec<f64>]) -> Vec<f64> {
        let mut out = vec![0.0; self.size()];
        for (q, aq) in alpha.iter().enumerate().filter(|&(q, _)| q != self.eliminated) {
            out[self.offsets[q]..self.offsets[q] + aq.len()].copy_from_slice(aq);
        }
        out
    }

    /// Write a stacked vector back into every dimension but the eliminated one.
    pub(crate) fn unstack(&self, stacked: &[f64], alpha: &mut [Vec<f64>]) {
        for (q, aq) in alpha.iter_mut().enumerate().filter(|&(q, _)| q != self.eliminated) {
            let l = aq.len();
            aq.copy_from_slice(&stacked[self.offsets[q]..self.offsets[q] + l]);
        }
    }

    /// $S x$, from the stored lower triangle.
    pub(crate) fn apply(&self, x: &[f64], out: &mut [f64]) {
        out.iter_mut().for_each(|v| *v = 0.0);
        let (symbolic, values) = self.matrix.parts();
        let (col_ptr, row_idx) = (symbolic.col_ptr(), symbolic.row_idx());
        for j in 0..self.size() {
            let (lo, hi) = (col_ptr[j] as usize, col_ptr[j + 1] as usize);
            let mut sum = 0.0;
            for (&i, &v) in row_idx[lo..hi].iter().zip(&values[lo..hi]) {
                let i = i as usize;
                out[i] += v * x[j];
                if i != j {
                    sum += v * x[i];
                }
            }
            out[j] += sum;
        }
    }

    /// $z = (S + \text{shift})^{-1} r$.
    pub(crate) fn precondition(&self, r: &[f64]) -> Vec<f64> {
        use faer::linalg::solvers::Solve;
        let mut z = r.to_vec();
        let n = z.len();
        self.llt.solve_in_place(MatMut::from_column_major_slice_mut(&mut z, n, 1));
        z
    }
}

/// A copy of the lower triangle with each diagonal entry raised by the relative shift.
fn shift_diagonal(matrix: &SparseColMat<u32, f64>) -> Option<SparseColMat<u32, f64>> {
    let (symbolic, values) = matrix.parts();
    let mut shifted = values.to_vec();
    for j in 0..matrix.ncols() {
        let (lo, hi) = (symbolic.col_ptr()[j] as usize, symbolic.col_ptr()[j + 1] as usize);
        for k in lo..hi {
            if symbolic.row_idx()[k] as usize == j {
                shifted[k] *= 1.0 + DIAGONAL_SHIFT;
            }
        }
    }
    Some(SparseColMat::new(symbolic.to_owned().ok()?, shifted))
}

/// A compressed bipartite adjacency: for each source level, its distinct targets and the total
/// weight of the rows joining them.
struct Adjacency {
    start: Vec<usize>,
    target: Vec<u32>,
    weight: Vec<f64>,
}

impl Adjacency {
    /// For each level of the eliminated dimension, the (stacked) levels of the other dimensions
    /// its rows meet, with their total weights.
    fn eliminated_to_others(
        codes: &[&[u32]],
        weights: Option<&[f64]>,
        eliminated: usize,
        offsets: &[usize],
        inv_weight: &[Vec<f64>],
    ) -> Adjacency {
        let ce = codes[eliminated];
        let n_levels = inv_weight[eliminated].len();
        // Counting sort of the rows by eliminated level.
        let mut row_start = vec![0usize; n_levels + 1];
        ce.iter().for_each(|&g| row_start[g as usize + 1] += 1);
        for g in 0..n_levels {
            row_start[g + 1] += row_start[g];
        }
        let mut fill = row_start.clone();
        let mut rows = vec![0u32; ce.len()];
        for (i, &g) in ce.iter().enumerate() {
            rows[fill[g as usize]] = i as u32;
            fill[g as usize] += 1;
        }
        drop(fill);
        let others: Vec<usize> = (0..codes.len()).filter(|&q| q != eliminated).collect();
        // The distinct other levels met by level g, with total weights, sorted.
        let merged = |g: usize, list: &mut Vec<(u32, f64)>| {
            list.clear();
            for &i in &rows[row_start[g]..row_start[g + 1]] {
                let w = weights.map_or(1.0, |w| w[i as usize]);
                for &q in &others {
                    list.push(((offsets[q] + codes[q][i as usize] as usize) as u32, w));
                }
            }
            list.sort_unstable_by_key(|&(h, _)| h);
            sum_equal_keys(list);
        };
        // Two passes (count, then fill in place) so that no per-level lists are held at once.
        let counts: Vec<usize> = (0..n_levels)
            .into_par_iter()
            .map_init(Vec::new, |list, g| {
                merged(g, list);
                list.len()
            })
            .collect();
        let mut start = Vec::with_capacity(n_levels + 1);
        start.push(0);
        counts.iter().for_each(|c| start.push(start.last().copied().unwrap_or(0) + c));
        drop(counts);
        let total = start[n_levels];
        let (mut target, mut weight) = (vec![0u32; total], vec![0.0; total]);
        let chunk = n_levels.div_ceil(64 * rayon::current_num_threads()).max(1);
        let mut pieces = Vec::new();
        let (mut rest_t, mut rest_w) = (target.as_mut_slice(), weight.as_mut_slice());
        for lo in (0..n_levels).step_by(chunk) {
            let hi = (lo + chunk).min(n_levels);
            let (t, tail_t) = rest_t.split_at_mut(start[hi] - start[lo]);
            let (w, tail_w) = rest_w.split_at_mut(start[hi] - start[lo]);
            pieces.push((lo..hi, t, w));
            (rest_t, rest_w) = (tail_t, tail_w);
        }
        pieces.into_par_iter().for_each(|(levels, t, w)| {
            let mut list = Vec::new();
            let base = start[levels.start];
            for g in levels {
                merged(g, &mut list);
                for (k, &(h, wh)) in list.iter().enumerate() {
                    t[start[g] - base + k] = h;
                    w[start[g] - base + k] = wh;
                }
            }
        });
        drop(rows);
        Adjacency { start, target, weight }
    }

    /// The off-diagonal part of $O^\top W O$: for each stacked level, the levels of later
    /// dimensions (other than the eliminated one) that share rows with it, with their total
    /// weights. Empty with two dimensions.
    fn cross_products(
        codes: &[&[u32]],
        weights: Option<&[f64]>,
        eliminated: usize,
        offsets: &[usize],
        size: usize,
    ) -> Adjacency {
        let others: Vec<usize> = (0..codes.len()).filter(|&q| q != eliminated).collect();
        let mut pairs: Vec<(u64, f64)> = Vec::new();
        for (a, &q) in others.iter().enumerate() {
            for &r in &others[a + 1..] {
                pairs.par_extend((0..codes[q].len()).into_par_iter().map(|i| {
                    let h = (offsets[q] + codes[q][i] as usize) as u64;
                    let k = (offsets[r] + codes[r][i] as usize) as u64;
                    ((h << 32) | k, weights.map_or(1.0, |w| w[i]))
                }));
            }
        }
        pairs.par_sort_unstable_by_key(|&(key, _)| key);
        sum_equal_keys(&mut pairs);
        let mut start = vec![0usize; size + 1];
        pairs.iter().for_each(|&(key, _)| start[(key >> 32) as usize + 1] += 1);
        for h in 0..size {
            start[h + 1] += start[h];
        }
        let target = pairs.iter().map(|&(key, _)| (key & u64::from(u32::MAX)) as u32).collect();
        let weight = pairs.iter().map(|&(_, w)| w).collect();
        Adjacency { start, target, weight }
    }

    /// The same edges seen from the targets, without weights (look them up with
    /// [`Adjacency::edges_from`]): half the memory of a weighted copy.
    fn transpose(&self, n_targets: usize) -> Reverse {
        let mut start = vec![0usize; n_targets + 1];
        self.target.iter().for_each(|&h| start[h as usize + 1] += 1);
        for h in 0..n_targets {
            start[h + 1] += start[h];
        }
        let mut fill = start.clone();
        let mut source = vec![0u32; self.target.len()];
        for g in 0..self.start.len() - 1 {
            for &h in &self.target[self.start[g]..self.start[g + 1]] {
                source[fill[h as usize]] = g as u32;
                fill[h as usize] += 1;
            }
        }
        Reverse { start, source }
    }

    fn edges(&self, g: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        (self.start[g]..self.start[g + 1]).map(|k| (self.target[k] as usize, self.weight[k]))
    }

    /// The edges of `g` to targets `>= h` (targets are sorted within each source).
    fn edges_from(&self, g: usize, h: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (lo, hi) = (self.start[g], self.start[g + 1]);
        let first = lo + self.target[lo..hi].partition_point(|&t| (t as usize) < h);
        (first..hi).map(|k| (self.target[k] as usize, self.weight[k]))
    }
}

/// Merge runs of equal keys of a key-sorted list, summing their weights.
fn sum_equal_keys<K: PartialEq>(list: &mut Vec<(K, f64)>) {
    list.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
}

/// Unweighted transpose of an [`Adjacency`]: the sources of each target.
struct Reverse {
    start: Vec<usize>,
    source: Vec<u32>,
}

impl Reverse {
    fn sources(&self, h: usize) -> impl Iterator<Item = usize> + '_ {
        self.source[self.start[h]..self.start[h + 1]].iter().map(|&g| g as usize)
    }
}

/// The lower triangle of $S$ (with the diagonal shift) in compressed columns, or `None` past
/// `budget` non-zeros.
fn assemble(
    by_eliminated: &Adjacency,
    by_other: &Reverse,
    cross: &Adjacency,
    eliminated: usize,
    inv_weight: &[Vec<f64>],
    offsets: &[usize],
    budget: usize,
) -> Option<SparseColMat<u32, f64>> {
    let size = by_other.start.len() - 1;
    let mut diagonal = vec![0.0; size];
    for (q, iw) in inv_weight.iter().enumerate().filter(|&(q, _)| q != eliminated) {
        iw.iter().enumerate().for_each(|(g, w)| diagonal[offsets[q] + g] = 1.0 / w);
    }
    let nnz = std::sync::atomic::AtomicUsize::new(0);
    let columns: Option<Vec<Vec<(u32, f64)>>> = (0..size)
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; size], Vec::<u32>::new()),
            |(acc, touched), h| {
                for g in by_other.sources(h) {
                    // The first edge from g at or after h is (h, w_gh) itself.
                    let mut edges = by_eliminated.edges_from(g, h);
                    let Some((_, w_gh)) = edges.next() else { continue };
                    let scale = w_gh * inv_weight[eliminated][g];
                    for (k, w_gk) in std::iter::once((h, w_gh)).chain(edges) {
                        if acc[k] == 0.0 {
                            touched.push(k as u32);
                        }
                        acc[k] -= scale * w_gk;
                    }
                }
                for (k, w_hk) in cross.edges(h) {
                    if acc[k] == 0.0 {
                        touched.push(k as u32);
                    }
                    acc[k] += w_hk;
                }
                acc[h] += diagonal[h];
                if !touched.contains(&(h as u32)) {
                    touched.push(h as u32);
                }
                touched.sort_unstable();
                touched.dedup(); // a sum that cancels to exactly zero is touched twice
                let column: Vec<(u32, f64)> =
                    touched.iter().map(|&k| (k, std::mem::take(&mut acc[k as usize]))).collect();
                touched.clear();
                let total = nnz.fetch_add(column.len(), std::sync::atomic::Ordering::Relaxed) + column.len();
                (total <= budget).then_some(column)
            },
        )
        .collect();
    let columns = columns?;
    let mut col_ptr = Vec::with_capacity(size + 1);
    col_ptr.push(0u32);
    let total: usize = columns.iter().map(Vec::len).sum();
    if total > u32::MAX as usize {
        return None;
    }
    let mut row_idx = Vec::with_capacity(total);
    let mut values = Vec::with_capacity(total);
    for column in columns {
        for (k, v) in column {
            row_idx.push(k);
            values.push(v);
        }
        col_ptr.push(row_idx.len() as u32);
    }
    let symbolic = SymbolicSparseColMat::new_checked(size, size, col_ptr, None, row_idx);
    Some(SparseColMat::new(symbolic, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// $S$ straight from its definition, dense.
    fn dense_schur(codes: &[&[u32]], levels: &[usize], weights: &[f64], e: usize) -> Vec<Vec<f64>> {
        let offsets: Vec<usize> = (0..codes.len())
            .scan(0, |acc, q| {
                let o = *acc;
                if q != e {
                    *acc += levels[q];
                }
                Some(o)
            })
            .collect();
        let size: usize = (0..codes.len()).filter(|&q| q != e).map(|q| levels[q]).sum();
        let mut b = vec![vec![0.0; size]; levels[e]];
        let mut total_e = vec![0.0; levels[e]];
        let mut s = vec![vec![0.0; size]; size];
        for i in 0..weights.len() {
            let g = codes[e][i] as usize;
            total_e[g] += weights[i];
            let own: Vec<usize> =
                (0..codes.len()).filter(|&q| q != e).map(|q| offsets[q] + codes[q][i] as usize).collect();
            for &h in &own {
                b[g][h] += weights[i];
                for &k in &own {
                    s[h][k] += weights[i];
                }
            }
        }
        for g in 0..levels[e] {
            for h in 0..size {
                for k in 0..size {
                    s[h][k] -= b[g][h] * b[g][k] / total_e[g];
                }
            }
        }
        s
    }

    #[test]
    fn assembled_complement_equals_its_definition() {
        let n = 300;
        let worker: Vec<u32> = (0..n).map(|i| (i / 5) as u32).collect();
        let firm: Vec<u32> = (0..n).map(|i| ((i / 5 + (i % 5) / 2) % 17) as u32).collect();
        let year: Vec<u32> = (0..n).map(|i| (i % 5) as u32).collect();
        let weights: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
        let codes: Vec<&[u32]> = vec![&worker, &firm, &year];
        let levels = [60, 17, 5];
        let inv_weight: Vec<Vec<f64>> = codes
            .iter()
            .zip(levels)
            .map(|(c, l)| {
                let mut t = vec![0.0; l];
                c.iter().zip(&weights).for_each(|(&g, w)| t[g as usize] += w);
                t.into_iter().map(|v| 1.0 / v).collect()
            })
            .collect();
        let offsets = vec![0, 0, 17];
        let by_eliminated = Adjacency::eliminated_to_others(&codes, Some(&weights), 0, &offsets, &inv_weight);
        let by_other = by_eliminated.transpose(22);
        let cross = Adjacency::cross_products(&codes, Some(&weights), 0, &offsets, 22);
        let lower = assemble(&by_eliminated, &by_other, &cross, 0, &inv_weight, &offsets, 100_000).expect("assembled");
        let dense = dense_schur(&codes, &levels, &weights, 0);
        let mut seen = 0;
        for (entry, value) in lower.triplet_iter().map(|t| ((t.row, t.col), *t.val)) {
            let (i, j) = entry;
            assert!(i >= j);
            assert!((value - dense[i][j]).abs() < 1e-12, "S[{i},{j}] = {value} vs {}", dense[i][j]);
            seen += 1;
        }
        let nonzero =
            (0..22).flat_map(|i| (0..=i).map(move |j| (i, j))).filter(|&(i, j)| dense[i][j].abs() > 1e-12).count();
        assert!(seen >= nonzero, "{seen} stored entries, {nonzero} non-zeros");
        let factor = SchurFactor::build(&codes, &inv_weight, Some(&weights), 0, 100_000).expect("factor");
        assert_eq!(factor.size(), 22);
    }
}
