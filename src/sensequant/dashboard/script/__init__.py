"""The folder of the Streamlit entry script (:mod:`.app`), alone in it on purpose.

``streamlit run`` puts the script's folder first on ``sys.path``; kept apart from the dashboard's
modules, none of them (``coverage``, ``pages`` ...) can shadow an installed package of the same
name.
"""
