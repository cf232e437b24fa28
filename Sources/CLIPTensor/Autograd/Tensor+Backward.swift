extension Tensor {
    /// Back-propagates from this tensor and accumulates gradients into the `grad` of every leaf
    /// that requires grad. Gradients add up across calls until reset (`grad = nil`).
    ///
    /// - Parameter seed: the gradient of this tensor; defaults to 1 for a one-element tensor.
    ///
    /// The walk is iterative (deep graphs cannot overflow the stack) and the graph is freed as it
    /// goes: tensors it passed release their saved inputs, so a second `backward()` through the same
    /// graph finds nothing to do.
    public func backward(seed: Tensor? = nil) {
        precondition(requiresGrad, "backward() on a tensor that does not require grad")
        let seed = seed ?? {
            precondition(count == 1, "backward() without a seed needs a one-element tensor, shape is \(Shape.describe(shape))")
            return Tensor.ones(shape)
        }()
        precondition(seed.shape == shape, "seed shape \(Shape.describe(seed.shape)) differs from \(Shape.describe(shape))")

        let order = topologicalOrder()
        // Gradient per tensor, and whether this walk allocated it (then it may be added to in place).
        var pending: [ObjectIdentifier: (gradient: Tensor, owned: Bool)] = [ObjectIdentifier(self): (seed, false)]
        withNoGrad {
            for tensor in order.reversed() {
                guard let (gradient, owned) = pending.removeValue(forKey: ObjectIdentifier(tensor)) else {
                    tensor.gradNode = nil
                    continue
                }
                guard let node = tensor.gradNode else {
                    tensor.accumulateGrad(gradient, owned: owned)
                    continue
                }
                tensor.gradNode = nil
                let inputGradients = node.backward(gradient)
                precondition(inputGradients.count == node.inputs.count, "backward rule returned the wrong number of gradients")
                for (input, inputGradient) in zip(node.inputs, inputGradients) {
                    guard input.requiresGrad, let inputGradient else { continue }
                    precondition(inputGradient.shape == input.shape,
                                 "gradient shape \(Shape.describe(inputGradient.shape)) for input of shape \(Shape.describe(input.shape))")
                    let key = ObjectIdentifier(input)
                    if let existing = pending[key] {
                        if existing.owned {
                            existing.gradient.addInPlace(inputGradient)
                        } else {
                            pending[key] = (existing.gradient + inputGradient, true)
                        }
                    } else {
                        pending[key] = (inputGradient, false)
                    }
                }
            }
        }
    }

    /// Inputs before the tensors computed from them, ending with `self`.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(tensor: Tensor, inputsDone: Bool)] = [(self, false)]
        while let (tensor, inputsDone) = stack.popLast() {
            if inputsDone {
                order.append(tensor)
                continue
            }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradNode?.inputs ?? [] where input.requiresGrad {
                if !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order
    }

    private func accumulateGrad(_ gradient: Tensor, owned: Bool) {
        if let grad {
            grad.addInPlace(gradient)
        } else {
            grad = owned ? gradient : gradient.copied()
        }
    }
}
