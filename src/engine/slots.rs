//! Per-stage and per-person values stored inline for every stage a board and every person a
//! team may have (`MAX_STAGES`, `MAX_TEAM`), so that reading one needs no bounds check: an
//! index is masked into the array, which the compiler can see is in range. The engine's
//! hottest reads (a stage's queues, WIP, room and environment, a person's state, at every
//! dispatch) cost less than the bounds checks they would otherwise carry.
//!
//! As a slice, `Slots` are the `n` stages of the board (or people of the team); indexed, the
//! one asked for. Indices are always below `n` (checked in debug builds).

use std::ops::{Deref, DerefMut, Index, IndexMut};

use crate::limits::{MAX_STAGES, MAX_TEAM};

const _: () = assert!(MAX_STAGES.is_power_of_two() && MAX_TEAM.is_power_of_two());

/// One `T` per stage of a board.
pub(super) type PerStage<T> = Slots<T, MAX_STAGES>;

/// One `T` per person of a team.
pub(super) type PerPerson<T> = Slots<T, MAX_TEAM>;

/// One `T` for each of `n` things (at most `N`, a power of two), stored inline.
#[derive(Clone)]
pub(super) struct Slots<T, const N: usize> {
    items: [T; N],
    n: usize,
}

impl<T, const N: usize> Slots<T, N> {
    /// `n` things, thing `s` holding `f(s)` (the unused places past `n` hold `f` of theirs).
    pub(super) fn from_fn(n: usize, f: impl FnMut(usize) -> T) -> Self {
        assert!(n <= N, "validated board and team sizes");
        Slots {
            items: std::array::from_fn(f),
            n,
        }
    }

    /// Back to `n` things, each one `reset`. (The places past `n` are never read: a later
    /// reset that brings them into use resets them first.)
    pub(super) fn reset(&mut self, n: usize, reset: impl FnMut(&mut T)) {
        assert!(n <= N, "validated board and team sizes");
        self.items[..n].iter_mut().for_each(reset);
        self.n = n;
    }
}

impl<T: Clone, const N: usize> Slots<T, N> {
    /// `n` things, each holding `value`.
    pub(super) fn new(n: usize, value: T) -> Self {
        Slots::from_fn(n, |_| value.clone())
    }
}

impl<T: Default, const N: usize> Default for Slots<T, N> {
    fn default() -> Self {
        Slots::from_fn(0, |_| T::default())
    }
}

impl<T, const N: usize> Index<usize> for Slots<T, N> {
    type Output = T;

    #[inline(always)]
    fn index(&self, s: usize) -> &T {
        debug_assert!(s < self.n, "index {s} of {}", self.n);
        &self.items[s % N]
    }
}

impl<T, const N: usize> IndexMut<usize> for Slots<T, N> {
    #[inline(always)]
    fn index_mut(&mut self, s: usize) -> &mut T {
        debug_assert!(s < self.n, "index {s} of {}", self.n);
        &mut self.items[s % N]
    }
}

impl<T, const N: usize> Deref for Slots<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items[..self.n]
    }
}

impl<T, const N: usize> DerefMut for Slots<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items[..self.n]
    }
}

impl<'a, T, const N: usize> IntoIterator for &'a Slots<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: std::fmt::Debug, const N: usize> std::fmt::Debug for Slots<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_reads_as_its_own_stages() {
        let mut v = PerStage::from_fn(3, |s| s as u32 * 10);
        assert_eq!(&*v, &[0, 10, 20]);
        assert_eq!(v.len(), 3);
        v[2] += 1;
        assert_eq!(v[2], 21);
        assert_eq!(v.iter().sum::<u32>(), 31);
        // A reset clears every place in use, and the board may change size.
        v.reset(5, |x| *x = 7);
        assert_eq!(&*v, &[7; 5]);
        v.reset(1, |x| *x = 0);
        assert_eq!(&*v, &[0]);
        let full = PerStage::new(MAX_STAGES, 1u8);
        assert_eq!(full[MAX_STAGES - 1], 1);
        assert_eq!(full.len(), MAX_STAGES);
    }
}
