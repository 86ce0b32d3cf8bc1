"""Manager dashboards (issue #7): the top layer; reads customers, segmentation, strategies.

How a dashboard page is built (follow this for every new page):

1. Selector (`dashboards/selectors/<page>.py`): `<page>_data(*, scope: Scope, ...) -> dict`.
   `Scope` (dashboards/scope.py) is the user's access scope narrowed by the filter bar (team,
   rep, industry, region, size, customer type); build it with `scope_from_request`. Read the
   per-run aggregates (segmentation.models.ClassAggregate / TransitionAggregate / ParetoCurve)
   through `scope.aggregate_filter(...)`, never the 1M-row tables; a constant number of
   queries whatever the data size (there is a query-count test per page).
   Every number carries its drill-down URL: `scope.customers_url(lifecycle="dormant", ...)`
   gives the customer list filtered by the scope and the class(es).
2. View (`dashboards/views.py`): subclass `DashboardView`, set `template_name`, `page` (key in
   `dashboards.pages.PAGES`), implement `get_data(scope)` and `export_table(data)` →
   (headers, rows) for the CSV/XLSX export (`?export=csv|xlsx`, through customers/exporting.py's
   guard). URL in `dashboards/urls.py`; the sub-navigation reads `dashboards.pages.PAGES`.
3. Template: `{% extends "dashboards/base.html" %}`; the base renders the title, filter bar,
   sub-navigation and export links. A chart is
       {% include "dashboards/partials/_chart.html" with chart="x" data=d id="x" label=l %}
   i.e. a `<div class="dash-chart" data-chart="<name>" data-source="<json_script id>">` plus
   `{{ data|json_script:id }}`, followed by an accessible table of the same numbers with their
   links. List the chart's script in `{% block dashboard_scripts %}`.
4. Chart script `static/js/dashboards/<name>.js`:
       CRMDash.register("<name>", function (data, el) { return echartsOption; });
   `common.js` (loaded first) finds every `.dash-chart`, reads its JSON, builds the option,
   draws it with the house theme, resizes it, and on click navigates to `data.url` of the
   clicked element (series data items / links / nodes carry `url`). No inline script or
   style anywhere (strict CSP); every label comes translated from the server.
"""
