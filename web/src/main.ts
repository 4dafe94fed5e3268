import "./style.css";
import { start } from "./app";

start(document.getElementById("app")!);
