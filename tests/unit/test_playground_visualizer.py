"""The playground carries the visualizer: its tabs act on the playground's lab and redraw it."""

from cqrs_lab.presentation import Playground


def test_the_playground_has_the_four_visualizer_tabs(lab):
    app = Playground(lab)
    tab = app.visualizer.widget
    assert tab in app.widget.children
    assert tab.titles == ("Flow", "Stepper", "Faults", "Blue-green")
    assert "cqrs-visualizer" in tab._dom_classes
    assert "cqrs-flow-view" in tab.children[0]._dom_classes
    assert "cqrs-stepper" in tab.children[1]._dom_classes
    assert "cqrs-fault-panel" in tab.children[2]._dom_classes


def test_the_flow_sends_the_forms_order_and_the_dashboard_redraws(lab):
    app = Playground(lab)
    app.form.fill(lines=[("SILENT-KEYBOARD", 2)])
    app.visualizer.flow.send_button.click()
    assert lab.event_store.head == 2
    assert 'data-head="2"' in app.events.value  # the event table above saw it
    for _ in range(7):
        app.visualizer.flow.step_button.click()
    assert 'data-rows="1"' in app.order_summary.value


def test_a_command_from_the_dashboard_shows_in_the_flow_counts(lab):
    app = Playground(lab)
    app.create_order()
    assert f"head {lab.event_store.head}<" in app.visualizer.flow.html
    assert f'data-head="{lab.event_store.head}"' in app.visualizer.flow.html


def test_opening_the_stepper_tab_takes_in_new_events(lab):
    app = Playground(lab)
    app.create_order()
    app.visualizer.widget.selected_index = 1
    assert app.visualizer.stepper.positions == list(range(1, lab.event_store.head + 1))


def test_a_fault_run_from_the_panel_redraws_the_dashboard(lab):
    app = Playground(lab)
    app.create_order()
    app.visualizer.faults.fault.value = "crash before commit"
    app.visualizer.faults.arm_button.click()
    app.visualizer.faults.run_button.click()
    assert "cqrs-verdict-identical" in app.visualizer.faults.verdict.value
    app.visualizer.faults.run_button.click()
    assert f'data-position="{lab.event_store.head}"' in app.events.value


def test_the_flow_step_leaves_a_paused_projector_alone_until_resume(lab):
    app = Playground(lab)
    flow = app.visualizer.flow
    app.toggle_pause()
    flow.send_button.click()
    for _ in range(8):  # enough for both events to reach the store and be taken
        flow.step_button.click()
    assert lab.projector.position == 0  # paused: nothing projected
    assert 'data-paused="true"' in flow.html and 'data-lag="2"' in flow.html
    assert "projector paused: the events wait in the store" in flow.html
    assert flow.auto_project.disabled
    app.toggle_pause()  # resume (async mode): the next steps project again
    flow.step_button.click()
    assert lab.projector.position == 1
    assert "data-paused" not in flow.html and not flow.auto_project.disabled


def test_the_fault_panel_leaves_a_paused_projector_alone(lab):
    app = Playground(lab)
    app.create_order()
    app.toggle_pause()
    position = lab.projector.position
    app.visualizer.faults.run_button.click()
    app.visualizer.faults.retry_button.click()
    assert lab.projector.position == position < lab.event_store.head
    assert "the projector is paused" in app.visualizer.faults.log.value
