#version 330 core
// A heatmap's rectangle, drawn as a 4-vertex triangle strip in the frame being rendered: u_rect holds its top-left
// (x0, y0) and bottom-right (x1, y1) corners in clip coordinates. v_uv is (0, 0) at the top-left corner and (1, 1) at
// the bottom-right one, so row 0 of the data is drawn at the top.
uniform vec4 u_rect;
out vec2 v_uv;
void main() {
    vec2 t = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    v_uv = t;
    gl_Position = vec4(mix(u_rect.xy, u_rect.zw, t), 0.0, 1.0);
}
