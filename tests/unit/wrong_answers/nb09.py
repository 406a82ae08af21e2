"""Known wrong answers for notebook 09's exercises (faults and recovery): predictions."""

WRONG = {
    "09-poison-created": [
        (  # only the poisoned event: forgets that its items need the order's row
            ["return [1], False"],
            "positions 2 (OrderItemAdded) and 3 (OrderItemAdded), the same order's items, "
            "failed too",
        ),
        (  # "skip" taken for "stop": everything after the poison is lost
            ["return list(range(1, 10)), False"],
            "positions 4, 5, 6, 7, 8, 9, the other orders' events, were applied",
        ),
        (  # a position the store does not hold (positions start at 1)
            ["return [0, 1, 2], False"],
            "the shop holds positions 1-9 only",
        ),
        (  # "skip" taken for a silent drop: no dead letters at all
            ["return [], False"],
            "the poisoned position 1 itself is one",
        ),
        (  # right dead letters, but a projection that moved on is taken for a right one
            ["return [1, 2, 3], True"],
            "you predicted the consistency check passes; it says: INCONSISTENT",
        ),
    ],
    "09-every-fault": [
        (  # one crash per fault: duplicates and reordering taken for crashes
            ["return 4, True"],
            "the other faults (delivered position 2 twice; delivered positions 1-2 in "
            "reverse) are not crashes",
        ),
        (  # the two crashes merged into one
            ["return 1, True"],
            "each crash fault stopped the process once",
        ),
        (  # a crash taken to lose or double a batch
            ["return 2, False"],
            "you predicted the read model is wrong at the end; check_consistency says: consistent",
        ),
    ],
    "09-slow-green": [
        (  # green taken to overtake the writes
            ["return 0"],
            "you predicted green catches up before the cut-over",
        ),
        (  # the worst gap, just after an order, taken for the smallest
            ["return 11"],
            "you predicted green is never fewer than 11 behind",
        ),
        (  # green taken to gain between orders for good
            ["return 3"],
            "you predicted green gets to 3 behind",
        ),
    ],
}
