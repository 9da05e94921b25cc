#version 330 core
// Colours a heatmap where it is drawn: each pixel takes the value of the data cell under its centre.
// u_map 0: viridis (sequential, for probabilities); u_map 1: a blue-white-red diverging map centred on 0 (for signed logits).
// The stops are matplotlib's viridis at 0, 0.1, ..., 1 and a cool-warm diverging ramp;
// app/gui/colormap.cpp holds the same tables for the CPU side (colour bars, tests).
uniform sampler2D u_data;   // R32F, width = columns, height = rows (texel row 0 = data row 0, the top of the image)
uniform int u_map;
uniform float u_min;
uniform float u_max;
in vec2 v_uv;
out vec4 frag;

const vec3 VIRIDIS[11] = vec3[11](
    vec3(0.267, 0.005, 0.329), vec3(0.283, 0.141, 0.458), vec3(0.254, 0.265, 0.530),
    vec3(0.208, 0.372, 0.553), vec3(0.164, 0.471, 0.558), vec3(0.128, 0.567, 0.551),
    vec3(0.135, 0.659, 0.518), vec3(0.267, 0.749, 0.441), vec3(0.478, 0.821, 0.318),
    vec3(0.741, 0.873, 0.150), vec3(0.993, 0.906, 0.144));
const vec3 DIVERGING[5] = vec3[5](
    vec3(0.230, 0.299, 0.754), vec3(0.552, 0.690, 0.996), vec3(0.950, 0.950, 0.950),
    vec3(0.957, 0.604, 0.482), vec3(0.706, 0.016, 0.150));

vec3 ramp11(float t) {
    float x = clamp(t, 0.0, 1.0) * 10.0;
    int i = min(int(floor(x)), 9);
    return mix(VIRIDIS[i], VIRIDIS[i + 1], x - float(i));
}
vec3 ramp5(float t) {
    float x = clamp(t, 0.0, 1.0) * 4.0;
    int i = min(int(floor(x)), 3);
    return mix(DIVERGING[i], DIVERGING[i + 1], x - float(i));
}

void main() {
    ivec2 size = textureSize(u_data, 0);
    // The cell under this pixel's centre: each pixel is coloured once, at the size the image is drawn (a 3000-row
    // Fig 4 image in a 400-pixel box costs 400 rows of work, not 3000).
    ivec2 cell = min(ivec2(floor(v_uv * vec2(size))), size - 1);
    float v = texelFetch(u_data, cell, 0).r;
    if (isnan(v)) { frag = vec4(0.3, 0.3, 0.3, 1.0); return; }
    float t;
    if (u_map == 1) {
        float m = max(abs(u_min), abs(u_max));
        t = m > 0.0 ? 0.5 + 0.5 * v / m : 0.5;
        frag = vec4(ramp5(t), 1.0);
    } else {
        t = u_max > u_min ? (v - u_min) / (u_max - u_min) : 0.0;
        frag = vec4(ramp11(t), 1.0);
    }
}
