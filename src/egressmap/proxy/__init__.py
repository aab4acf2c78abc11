"""egressmap's recording and enforcing proxy.

Sans-io cores (:mod:`.protocol`, :mod:`.transparent`) and an asyncio server (:mod:`.server`). Importing
this package loads nothing heavy.
"""
