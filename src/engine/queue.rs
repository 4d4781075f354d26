//! The future-event list: a binary heap ordered by (time, insertion sequence).
//!
//! Ties in time are broken by the order in which events were scheduled, never by heap
//! internals, so a run is a pure function of its inputs.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Something that happens at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The next card of the arrival process arrives.
    Arrival,
    /// A batch of cards arrives.
    Batch,
    /// An expedite card arrives.
    Expedite,
    /// Card `card` of a replayed history arrives.
    Replay {
        /// Index into the history.
        card: u32,
    },
    /// A blocked card's input or blocker clears (or a card in clarification gets its input).
    Unblock {
        /// Card slot.
        card: u32,
    },
    /// An answerer finishes answering a missing input, unless `version` is stale.
    AnswerDone {
        /// Answerer index.
        answerer: u32,
        /// The answerer's work version when this was scheduled.
        version: u32,
    },
    /// Answerers of missing inputs end their working day.
    AnswersOff,
    /// A periodic pull: `stage` looks for new work now.
    Poll {
        /// Stage index.
        stage: u32,
    },
    /// The health check notices the failed GitOps deployment of `stage`.
    Detect {
        /// Stage index.
        stage: u32,
    },
    /// The work on `card` at its current stage completes, unless `version` is stale.
    StageDone {
        /// Card slot.
        card: u32,
        /// The card's work version when this was scheduled.
        version: u32,
    },
    /// A conservative puller's delay is over: free people look for work again.
    PullerReady,
    /// A working day starts for everybody present.
    DayStart,
    /// Working days end for everybody whose day ends now.
    DayEnd,
    /// A calendar week ends (weekly series).
    WeekEnd,
    /// Cards are released from the backlog up to the system WIP limit.
    Replenish,
    /// The warm-up period ends; statistics restart.
    WarmupEnd,
}

/// A scheduled event. `key` orders entries exactly as (time by `f64::total_cmp`, then
/// scheduling sequence) would, as one integer: the time's bits mapped to an unsigned integer in
/// the same order, then the sequence number.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: u128,
    event: Event,
}

impl Entry {
    #[inline]
    fn new(time: f64, seq: u64, event: Event) -> Self {
        // `f64::total_cmp`'s own mapping to an ordered signed integer, then to unsigned.
        let mut bits = time.to_bits() as i64;
        bits ^= (((bits >> 63) as u64) >> 1) as i64;
        let ordered = (bits as u64) ^ (1 << 63);
        Entry {
            key: (u128::from(ordered) << 64) | u128::from(seq),
            event,
        }
    }

    /// The time back from the key (the mapping above undone).
    #[inline]
    fn time(&self) -> f64 {
        let mut bits = (((self.key >> 64) as u64) ^ (1 << 63)) as i64;
        bits ^= (((bits >> 63) as u64) >> 1) as i64;
        f64::from_bits(bits as u64)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reversed: the heap is a max-heap and we want the earliest (time, seq) on top.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// The sequence numbers of polls: above every other event's (see `EventQueue::push_poll`).
const POLL_SEQ: u64 = 1 << 63;

/// A deterministic priority queue of events.
///
/// Besides the heap it keeps a few events aside, in a short list scanned at each pop: the
/// periodic ones that are always pending (a poll per polling stage), which would otherwise
/// go through the heap at every period. Both share one sequence, so the order of events is
/// the same wherever they wait.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    aside: Vec<Entry>,
    seq: u64,
}

impl EventQueue {
    /// Empties the queue, keeping its allocation.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.aside.clear();
        self.seq = 0;
    }

    /// Schedules `event` at `time` (hours).
    #[inline]
    pub fn push(&mut self, time: f64, event: Event) {
        self.seq += 1;
        self.heap.push(Entry::new(time, self.seq, event));
    }

    /// Schedules a poll of `stage` at `time` (hours) outside the heap (at most one per stage).
    /// Polls due at one instant come after every other event due then, in stage order,
    /// whenever each was scheduled: so a poll's place does not depend on when it was
    /// scheduled, and a poll skipped as idle (see `Sim::poll`) changes no order.
    #[inline]
    pub fn push_poll(&mut self, time: f64, stage: u32) {
        self.aside.push(Entry::new(
            time,
            POLL_SEQ | u64::from(stage),
            Event::Poll { stage },
        ));
    }

    /// Takes the poll of `stage` out of the queue, if it is there (a parked poll's pending
    /// wake-up, about to be moved earlier).
    pub fn remove_poll(&mut self, stage: u32) {
        let event = Event::Poll { stage };
        if let Some(i) = self.aside.iter().position(|e| e.event == event) {
            self.aside.swap_remove(i);
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, Event)> {
        if !self.aside.is_empty()
            && let Some(e) = self.pop_aside()
        {
            return Some((e.time(), e.event));
        }
        self.heap.pop().map(|e| (e.time(), e.event))
    }

    /// The earliest event waiting aside, removed, if it comes before the heap's top.
    #[inline(never)]
    fn pop_aside(&mut self) -> Option<Entry> {
        let mut first = 0;
        for (i, e) in self.aside.iter().enumerate().skip(1) {
            if e.key < self.aside[first].key {
                first = i;
            }
        }
        let key = self.aside[first].key;
        match self.heap.peek() {
            Some(top) if top.key < key => None,
            _ => Some(self.aside.swap_remove(first)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::default();
        for p in 0..50 {
            q.push(5.0, Event::Poll { stage: p });
        }
        q.push(1.0, Event::Arrival);
        assert_eq!(q.pop(), Some((1.0, Event::Arrival)));
        for p in 0..50 {
            assert_eq!(q.pop(), Some((5.0, Event::Poll { stage: p })));
        }
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn polls_come_after_the_other_events_of_their_instant_in_stage_order() {
        let mut q = EventQueue::default();
        q.push_poll(3.0, 2);
        q.push(3.0, Event::Arrival);
        q.push_poll(2.0, 1);
        q.push_poll(3.0, 1);
        q.push(3.0, Event::WeekEnd);
        q.push(1.0, Event::Arrival);
        assert_eq!(q.pop(), Some((1.0, Event::Arrival)));
        assert_eq!(q.pop(), Some((2.0, Event::Poll { stage: 1 })));
        q.push_poll(3.0, 3);
        assert_eq!(q.pop(), Some((3.0, Event::Arrival)));
        assert_eq!(q.pop(), Some((3.0, Event::WeekEnd)));
        // Scheduled late, still in stage order; an event scheduled after them comes first.
        q.push(3.0, Event::DayEnd);
        assert_eq!(q.pop(), Some((3.0, Event::DayEnd)));
        for stage in 1..=3 {
            assert_eq!(q.pop(), Some((3.0, Event::Poll { stage })));
        }
        assert_eq!(q.pop(), None);
        q.push_poll(4.0, 1);
        q.remove_poll(1);
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn the_key_orders_as_total_cmp_then_sequence_and_gives_the_time_back() {
        let times = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1.0 + f64::EPSILON,
            8736.0,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ];
        for (i, &a) in times.iter().enumerate() {
            let ea = Entry::new(a, 7, Event::Arrival);
            assert_eq!(ea.time().to_bits(), a.to_bits());
            for &b in &times[i..] {
                for (sa, sb) in [(1, 2), (2, 1), (3, 3)] {
                    let (x, y) = (
                        Entry::new(a, sa, Event::Arrival),
                        Entry::new(b, sb, Event::Arrival),
                    );
                    let want = a.total_cmp(&b).then(sa.cmp(&sb));
                    assert_eq!(x.key.cmp(&y.key), want, "{a} #{sa} vs {b} #{sb}");
                }
            }
        }
    }
}
