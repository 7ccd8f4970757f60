"""The JSON API, one :class:`fastapi.APIRouter` per area, each built over the app's
:class:`~clusteratlas.web.state.State` and included by
:func:`clusteratlas.web.app.create_app`:

* :mod:`.meta` — ``/api/docs``, ``/api/health``, ``/api/plan``, ``/api/maps/{name}``;
* :mod:`.monitor` — ``/api/clusters``, ``/api/targets``;
* :mod:`.chains` — ``/api/chains``, ``/api/coverage``, ``/api/attract``, ``/api/regions``;
* :mod:`.ladder` — ``/api/ladder``;
* :mod:`.complexity` — ``/api/complexity``, ``/api/opportunities``, ``/api/linkages``;
* :mod:`.datasets` — ``/api/datasets``, and with imports allowed ``POST /api/import/{kind}``
  and ``DELETE /api/datasets/{name}``.

The scenario planner and programs board (``/api/scenario``, ``/api/programs`` and their pages)
are :mod:`clusteratlas.web.planner`; the dashboard pages :mod:`clusteratlas.web.pages`.
"""
