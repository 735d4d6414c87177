"""The eager runtime: Tensors, the graph, grad modes, factories."""
