"""The supervisor's console (查看队列): the live floor, pick lists, RQ, devices, KPIs."""
