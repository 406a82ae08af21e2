"""A monitor's reading is the projector's lag at that moment, whatever it remembers
between readings (the oldest unprojected event's time, the clock's last time)."""

from tests.builders import armchair_and_keyboards


def test_each_reading_equals_the_projectors_lag_as_the_clock_and_checkpoint_move(lab):
    monitor = lab.lag_monitor
    readings = []

    def read_both():
        readings.append((monitor.sample(), lab.projector.lag()))

    read_both()
    lab.dispatch(armchair_and_keyboards())  # 3 events at t0
    lab.clock.advance(4)
    lab.dispatch(armchair_and_keyboards())  # 3 more at t0 + 4 s
    read_both()
    lab.clock.advance(6)
    read_both()  # same position, later time: 10 s behind
    lab.projector.step(3)
    read_both()  # the oldest unprojected event is now the fourth: 6 s behind
    lab.catch_up()
    read_both()
    for taken, measured in readings:
        assert taken == measured
    assert [taken.seconds_behind for taken, _ in readings] == [0.0, 4.0, 10.0, 6.0, 0.0]
    assert monitor.samples[-1] == readings[-1][0]  # kept as it was handed out


def test_the_kept_times_follow_the_clock_when_it_moves_back_and_forth(lab):
    monitor = lab.lag_monitor
    first = monitor.sample()
    lab.clock.advance(2.5)
    later = monitor.sample()
    again = monitor.sample()
    assert [s.at for s in monitor.samples[-3:]] == [first.at, later.at, again.at]
    assert (later.at - first.at).total_seconds() == 2.5
    assert monitor.frame()["at"].iloc[-1] == later.at
