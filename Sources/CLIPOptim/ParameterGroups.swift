import CLIPNN
import CLIPTensor

/// How parameters are split into weight-decay groups.
public enum ParameterGroups {
    /// open_clip's rule (`main.py`): no weight decay for parameters with fewer than 2 dimensions or
    /// whose name contains "bn", "ln", "bias" or "logit_scale" (substrings, as there); `weightDecay`
    /// for the rest. Only trainable parameters that require gradients are included.
    public static func openCLIP(_ module: Module, weightDecay: Float) -> [AdamW.Group] {
        openCLIP(module.namedParameters(), weightDecay: weightDecay)
    }

    /// The same rule over named parameters that need not belong to one module (a model's and its
    /// LoRA adapters').
    public static func openCLIP(_ named: [(name: String, parameter: Parameter)], weightDecay: Float) -> [AdamW.Group] {
        var plainNames: [String] = [], plain: [Parameter] = []
        var decayedNames: [String] = [], decayed: [Parameter] = []
        for (name, parameter) in named where parameter.isTrainable && parameter.wrappedValue.requiresGrad {
            if isExemptFromWeightDecay(name: name, rank: parameter.wrappedValue.rank) {
                plainNames.append(name); plain.append(parameter)
            } else {
                decayedNames.append(name); decayed.append(parameter)
            }
        }
        return [AdamW.Group(names: plainNames, parameters: plain, weightDecay: 0),
                AdamW.Group(names: decayedNames, parameters: decayed, weightDecay: weightDecay)]
    }

    /// open_clip's rule: no decay for tensors of rank below 2 and names with "bn", "ln", "bias" or "logit_scale".
    public static func isExemptFromWeightDecay(name: String, rank: Int) -> Bool {
        rank < 2 || name.contains("bn") || name.contains("ln") || name.contains("bias") || name.contains("logit_scale")
    }
}
