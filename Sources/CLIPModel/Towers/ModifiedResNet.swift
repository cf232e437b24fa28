// Same computation as open_clip `modified_resnet.py` `ModifiedResNet` (three-convolution stem,
// anti-aliased bottlenecks with average pooling before strided steps, attention pooling),
// BatchNorm in inference mode.
// Legend: N images, C channels, H×W spatial, S = H·W, E output features, Dh head width.
import CLIPNN
import CLIPTensor

/// The ModifiedResNet image tower of OpenAI's RN models.
public final class ModifiedResNet: Module, ImageEncoder {
    /// The tower's configuration.
    public let configuration: VisionConfiguration
    let conv1: Conv2d, bn1: BatchNorm2d
    let conv2: Conv2d, bn2: BatchNorm2d
    let conv3: Conv2d, bn3: BatchNorm2d
    let layer1: [Bottleneck], layer2: [Bottleneck], layer3: [Bottleneck], layer4: [Bottleneck]
    @ModuleInfo(key: "attnpool") var attentionPool: AttentionPool2d

    /// A tower of `configuration` projecting to `embedDim`, with zero weights.
    public init(_ configuration: VisionConfiguration, embedDim: Int) {
        let width = configuration.width
        self.configuration = configuration
        conv1 = Conv2d(3, width / 2, kernelSize: 3, stride: 2, padding: 1); bn1 = BatchNorm2d(width / 2)
        conv2 = Conv2d(width / 2, width / 2, kernelSize: 3, padding: 1); bn2 = BatchNorm2d(width / 2)
        conv3 = Conv2d(width / 2, width, kernelSize: 3, padding: 1); bn3 = BatchNorm2d(width)
        var inputs = width
        func stage(_ planes: Int, _ blocks: Int, stride: Int) -> [Bottleneck] {
            var stage = [Bottleneck(inputs, planes, stride: stride)]
            inputs = planes * Bottleneck.expansion
            for _ in 1..<blocks { stage.append(Bottleneck(inputs, planes, stride: 1)) }
            return stage
        }
        layer1 = stage(width, configuration.layers[0], stride: 1)
        layer2 = stage(width * 2, configuration.layers[1], stride: 2)
        layer3 = stage(width * 4, configuration.layers[2], stride: 2)
        layer4 = stage(width * 8, configuration.layers[3], stride: 2)
        super.init()
        attentionPool = AttentionPool2d(spatial: configuration.imageSize / 32, width: width * 32,
                                        heads: configuration.heads, outputWidth: embedDim)
    }

    /// The input side in pixels.
    public var imageSize: Int { configuration.imageSize }

    /// `[N, 3, S, S]` normalised pixels → `[N, E]` image features (not normalised).
    public func callAsFunction(_ images: Tensor) -> Tensor {
        var x = relu(bn1(conv1(images)))
        x = relu(bn2(conv2(x)))
        x = relu(bn3(conv3(x)))
        x = avgPool2d(x, kernel: (2, 2))
        for block in layer1 + layer2 + layer3 + layer4 { x = block(x) }
        return attentionPool(x)
    }
}

/// A bottleneck block whose strided step is an average pool (anti-aliasing), with a pooled 1×1
/// projection on the shortcut when the shape changes (`downsample.0` conv, `downsample.1` BN).
final class Bottleneck: Module {
    static let expansion = 4
    let conv1: Conv2d, bn1: BatchNorm2d
    let conv2: Conv2d, bn2: BatchNorm2d
    let conv3: Conv2d, bn3: BatchNorm2d
    let downsample: Downsample?
    let stride: Int

    init(_ inputs: Int, _ planes: Int, stride: Int) {
        conv1 = Conv2d(inputs, planes, kernelSize: 1); bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernelSize: 3, padding: 1); bn2 = BatchNorm2d(planes)
        conv3 = Conv2d(planes, planes * Self.expansion, kernelSize: 1); bn3 = BatchNorm2d(planes * Self.expansion)
        downsample = stride > 1 || inputs != planes * Self.expansion ? Downsample(inputs, planes * Self.expansion) : nil
        self.stride = stride
        super.init()
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var out = relu(bn1(conv1(x)))
        out = relu(bn2(conv2(out)))
        if stride > 1 { out = avgPool2d(out, kernel: (stride, stride)) }
        out = bn3(conv3(out))
        var identity = x
        if let downsample {
            if stride > 1 { identity = avgPool2d(identity, kernel: (stride, stride)) }
            identity = downsample.norm(downsample.conv(identity))
        }
        return relu(out + identity)
    }
}

final class Downsample: Module {
    @ModuleInfo(key: "0") var conv: Conv2d
    @ModuleInfo(key: "1") var norm: BatchNorm2d

    init(_ inputs: Int, _ outputs: Int) {
        super.init()
        conv = Conv2d(inputs, outputs, kernelSize: 1)
        norm = BatchNorm2d(outputs)
    }
}

/// Attention pooling whose single query is the mean of the feature map (plus its positional
/// embedding), with separate q/k/v projections and `c_proj` as the output projection.
final class AttentionPool2d: Module {
    @Parameter(key: "positional_embedding") var positionalEmbedding: Tensor   // [S + 1, C]
    @ModuleInfo(key: "k_proj") var keyProjection: Linear
    @ModuleInfo(key: "q_proj") var queryProjection: Linear
    @ModuleInfo(key: "v_proj") var valueProjection: Linear
    @ModuleInfo(key: "c_proj") var outputProjection: Linear
    let heads: Int

    init(spatial: Int, width: Int, heads: Int, outputWidth: Int) {
        self.heads = heads
        super.init()
        positionalEmbedding = Tensor.zeros([spatial * spatial + 1, width])
        keyProjection = Linear(width, width)
        queryProjection = Linear(width, width)
        valueProjection = Linear(width, width)
        outputProjection = Linear(width, outputWidth)
    }

    func callAsFunction(_ features: Tensor) -> Tensor {
        let (n, c) = (features.shape[0], features.shape[1])
        let spatial = features.shape[2] * features.shape[3]
        let dh = c / heads
        let tokens = features.reshaped([n, c, spatial]).transposed(1, 2)                     // [N, S, C]
        var x = concatenate([tokens.mean(alongAxis: 1, keepingDimensions: true), tokens], alongAxis: 1)
        x = x + positionalEmbedding                                                          // [N, S+1, C]
        let headCount = heads
        func splitHeads(_ t: Tensor, _ length: Int) -> Tensor {
            t.reshaped([n, length, headCount, dh]).permuted([0, 2, 1, 3])                     // [N, H, L, Dh]
        }
        let query = splitHeads(queryProjection(x.sliced(0..<1, alongAxis: 1)), 1)
        let key = splitHeads(keyProjection(x), spatial + 1)
        let value = splitHeads(valueProjection(x), spatial + 1)
        let attended = scaledDotProductAttention(query: query, key: key, value: value)       // [N, H, 1, Dh]
        return outputProjection(attended.permuted([0, 2, 1, 3]).reshaped([n, c]))            // [N, E]
    }
}
