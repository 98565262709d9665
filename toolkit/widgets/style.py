"""Our own CSS for the participant widgets: readable on a 360 px phone and a projector.

ipywidgets puts a control's description in a narrow, one-line label beside it. For
questionnaire items the question is the label, so it must wrap and sit above the options;
these rules do that without giving up the label element that assistive technology reads.
"""

from __future__ import annotations

CSS = """
<style>
.attune { max-width: 720px; width: 100%; box-sizing: border-box; font-size: 16px; line-height: 1.45; }
.attune .widget-label, .attune .widget-label-basic {
  white-space: normal !important; width: auto !important; max-width: 100% !important; text-align: left !important;
  overflow: visible !important; text-overflow: clip !important; height: auto !important;
  line-height: 1.4 !important; color: #1a1a1a; }
.attune .attune-item { border-bottom: 1px solid #d0d0d0; padding: 10px 0 12px 0; width: 100%; }
.attune .attune-item > .widget-inline-hbox,
.attune .attune-item .widget-radio,
.attune .attune-item .widget-textarea,
.attune .attune-item .widget-slider { flex-direction: column; align-items: flex-start; width: 100%; height: auto; }
.attune .attune-item .widget-label { font-weight: 600; margin-bottom: 6px; font-size: 16px; }
.attune .widget-radio-box { width: 100%; }
.attune .widget-radio-box label { padding: 6px 0; font-size: 16px; line-height: 1.3; min-height: 32px;
  display: flex; align-items: center; color: #1a1a1a; }
.attune .widget-radio-box input[type=radio] { width: 20px; height: 20px; margin: 0 10px 0 0; order: -1;
  flex-shrink: 0; float: none; }
.attune textarea { width: 100% !important; min-height: 5em; font-size: 16px; box-sizing: border-box; }
.attune .jupyter-button { font-size: 16px; height: auto; min-height: 40px; padding: 6px 14px;
  white-space: normal; width: auto; max-width: 100%; line-height: 1.3; border: 1px solid #767676;
  border-radius: 4px; color: #1a1a1a; background-color: #f2f2f2; }
.attune .jupyter-button.mod-primary { background-color: #0b5cad; color: #fff; border-color: #0b5cad; }
.attune .jupyter-button.mod-danger { background-color: #b3261e; color: #fff; border-color: #b3261e; }
.attune .jupyter-button:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
.attune .attune-clear { font-size: 14px; min-height: 32px; background: transparent; color: #0b5cad;
  text-decoration: underline; box-shadow: none; padding: 0; border: none; align-self: flex-start; }
.attune .attune-note { color: #333; font-size: 15px; }
.attune .attune-feedback { background: #f4f7fb; border-left: 4px solid #0b5cad; padding: 8px 12px; margin: 8px 0; }
.attune .attune-private { background: #fff8e6; border-left: 4px solid #8a5a00; padding: 8px 12px; margin: 8px 0; }
.attune .widget-checkbox { width: 100%; height: auto; }
.attune .widget-checkbox label { white-space: normal; font-size: 16px; line-height: 1.3; min-height: 32px;
  display: flex; align-items: center; }
.attune .widget-checkbox input[type=checkbox] { width: 20px; height: 20px; margin: 0 10px 0 0; flex-shrink: 0;
  flex-grow: 0; }
.attune .widget-text input { font-size: 16px; min-height: 36px; }
.attune .widget-inline-hbox.widget-text { flex-direction: column; align-items: flex-start; width: 100%; }
.attune progress { width: 100%; }
/* A chart fits the screen width (plotly's responsive config); it never becomes a scrolling
   region, which keyboard users could not reach. */
.attune .jp-RenderedPlotly { overflow: visible !important; max-width: 100%; }
</style>
"""


def style_widget():
    """An HTML widget carrying the stylesheet; include it once per form."""
    import ipywidgets as w

    return w.HTML(CSS, layout=w.Layout(display="none"))
