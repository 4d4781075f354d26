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
    /// The work on `card` at its current stage completes, unless `version` is stale.
    StageDone {
        /// Card slot.
        card: u32,
        /// The card's work version when this was scheduled.
        version: u32,
    },
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

#[derive(Debug, Clone, Copy)]
struct Entry {
    time: f64,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
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
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .total_cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A deterministic priority queue of events.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    seq: u64,
}

impl EventQueue {
    /// Empties the queue, keeping its allocation.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.seq = 0;
    }

    /// Schedules `event` at `time` (hours).
    #[inline]
    pub fn push(&mut self, time: f64, event: Event) {
        self.seq += 1;
        self.heap.push(Entry {
            time,
            seq: self.seq,
            event,
        });
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, Event)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
        assert!(q.is_empty());
    }
}
